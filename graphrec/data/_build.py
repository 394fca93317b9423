"""Builders that turn parsed rows into a :class:`GraphBatch`, catching duplicates on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from graphrec.data._read import CatalogueBuilder, Problems
from graphrec.store.base import GraphBatch


def _where(first: tuple[str, int], file: Path) -> str:
    """Where a row was first seen, naming the file only when it is another one."""
    return f"line {first[1]}" if first[0] == str(file) else f"{first[0]}, line {first[1]}"


class InteractionsBuilder:
    """Interaction columns plus where each row came from; a repeated event is a problem."""

    def __init__(self, problems: Problems, kind_weights: dict[str, float]) -> None:
        self.problems = problems
        self.kind_weights = kind_weights
        self.user_ids: list[str] = []
        self.item_ids: list[str] = []
        self.kinds: list[str] = []
        self.weights: list[float] = []
        self.ratings: list[float | None] = []
        self.timestamps: list[int] = []
        self.splits: list[str | None] = []
        self.files: list[str] = []
        self.lines: list[int] = []
        self._seen: dict[tuple[str, str, str, int], tuple[str, int]] = {}

    def add(
        self,
        file: Path,
        line: int,
        user_id: str,
        item_id: str,
        kind: str,
        ts: int,
        weight: float | None = None,
        rating: float | None = None,
        split: str | None = None,
    ) -> None:
        key = (user_id, item_id, kind, ts)
        first = self._seen.get(key)
        if first is not None:
            where = _where(first, file)
            self.problems.add(
                file, line, None, f"duplicate interaction {key} (first seen at {where})"
            )
            return
        self._seen[key] = (str(file), line)
        self.user_ids.append(user_id)
        self.item_ids.append(item_id)
        self.kinds.append(kind)
        self.weights.append(self.kind_weights.get(kind, 1.0) if weight is None else weight)
        self.ratings.append(rating)
        self.timestamps.append(ts)
        self.splits.append(split)
        self.files.append(str(file))
        self.lines.append(line)

    def table(self) -> pa.Table:
        return pa.table(
            {
                "user_id": pa.array(self.user_ids, pa.string()),
                "item_id": pa.array(self.item_ids, pa.string()),
                "kind": pa.array(self.kinds, pa.string()),
                "weight": pa.array(self.weights, pa.float64()),
                "rating": pa.array(self.ratings, pa.float64()),
                "ts": pa.array(self.timestamps, pa.int64()),
                "split": pa.array(self.splits, pa.string()),
            }
        )


class ItemsBuilder:
    """Catalogue rows by id; the same id twice is a problem naming both lines."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.rows: dict[str, tuple[str | None, float | None, bool | None, int | None]] = {}
        self._where: dict[str, tuple[str, int]] = {}
        self.catalogue = CatalogueBuilder()

    def add(
        self,
        file: Path,
        line: int,
        item_id: str,
        title: str | None = None,
        price: float | None = None,
        in_stock: bool | None = None,
        created_at: int | None = None,
    ) -> bool:
        if item_id in self.rows:
            where = _where(self._where[item_id], file)
            self.problems.add(file, line, "id", f"duplicate item id {item_id!r} (first at {where})")
            return False
        self.rows[item_id] = (title or None, price, in_stock, created_at)
        self._where[item_id] = (str(file), line)
        return True

    def table(self) -> pa.Table:
        values = list(self.rows.values())
        return pa.table(
            {
                "id": pa.array(list(self.rows), pa.string()),
                "title": pa.array([v[0] for v in values], pa.string()),
                "price": pa.array([v[1] for v in values], pa.float64()),
                "in_stock": pa.array([v[2] for v in values], pa.bool_()),
                "created_at": pa.array([v[3] for v in values], pa.int64()),
            }
        )


@dataclass
class Parsed:
    """What a format reader produced, before it meets the store.

    ``catalogue_complete``: the source has a catalogue, so an interaction naming an item that is
    neither in it nor in the store is a dangling reference (otherwise such items are created).
    """

    batch: GraphBatch
    problems: Problems
    sources: tuple[list[str], list[int]]
    catalogue_complete: bool
    notes: list[str] = field(default_factory=list)


def assemble(
    items: ItemsBuilder | None,
    interactions: InteractionsBuilder,
    catalogue_complete: bool,
    notes: list[str] | None = None,
) -> Parsed:
    tables = items.catalogue.tables() if items else {}
    return Parsed(
        batch=GraphBatch(
            items=items.table() if items else GraphBatch().items,
            interactions=interactions.table(),
            **tables,
        ),
        problems=interactions.problems,
        sources=(interactions.files, interactions.lines),
        catalogue_complete=catalogue_complete,
        notes=notes or [],
    )
