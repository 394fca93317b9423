"""Loaders of real formats into the store: read everything, check everything, write atomically.

>>> report = load(store, "amazon", Path("../shared/data/amazon-beauty-2014"))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from graphrec.config import Settings, get_settings
from graphrec.data import amazon, generic, lightgcn, movielens
from graphrec.data._build import Parsed
from graphrec.errors import InvalidData, InvalidInput, Problem
from graphrec.store.base import GraphStore, WriteSummary

Reader = Callable[[Path, dict[str, float]], Parsed]
FORMATS: dict[str, Reader] = {
    "lightgcn": lightgcn.read,
    "amazon": amazon.read,
    "movielens": movielens.read,
    "csv": generic.read,
}


@dataclass(frozen=True)
class LoadReport:
    format: str
    path: str
    rows: dict[str, int]
    written: WriteSummary
    skipped: list[Problem]
    seconds: float


def read_source(fmt: str, path: Path, settings: Settings | None = None) -> Parsed:
    """Parse a source in one of :data:`FORMATS` without touching any store."""
    reader = FORMATS.get(fmt)
    if reader is None:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not path.exists():
        raise InvalidInput(f"{fmt}: path not found: {path}")
    settings = settings or get_settings()
    return reader(path, settings.kind_weights)


def _store_ids(store: GraphStore, table: str) -> pa.Array:
    batches = [batch.column(0) for batch in store.stream(table)]
    return pa.concat_arrays(batches) if batches else pa.array([], pa.string())


def _drop_dangling(parsed: Parsed, store_items: pa.Array) -> Parsed:
    """Interactions naming an item neither in the source's catalogue nor in the store."""
    batch = parsed.batch
    known = pa.concat_arrays([batch.items.column("id").combine_chunks(), store_items])
    item_ids = batch.interactions.column("item_id")
    dangling = pc.invert(pc.is_in(item_ids, value_set=known))
    if not pc.any(dangling).as_py():
        return parsed
    files, lines = parsed.sources
    for index in pc.indices_nonzero(dangling).to_pylist():
        parsed.problems.add(
            files[index],
            lines[index],
            "item_id",
            f"unknown item {item_ids[index].as_py()!r} (not in the items file nor in the store)",
        )
    keep = pc.invert(dangling)
    kept_rows = pc.indices_nonzero(keep).to_pylist()
    return replace(
        parsed,
        batch=replace(batch, interactions=batch.interactions.filter(keep)),
        sources=([files[i] for i in kept_rows], [lines[i] for i in kept_rows]),
    )


def load(
    store: GraphStore,
    fmt: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    settings: Settings | None = None,
) -> LoadReport:
    """Load a source into the store: all or nothing, unless ``skip_invalid`` keeps good rows.

    Loading the same source twice leaves the store as the first load left it.
    """
    started = time.perf_counter()
    parsed = read_source(fmt, path, settings)
    store_items = _store_ids(store, "items")
    if parsed.catalogue_complete:
        parsed = _drop_dangling(parsed, store_items)
    if parsed.problems.found and not skip_invalid:
        raise InvalidData(parsed.problems.found)

    batch = parsed.batch
    interactions = batch.interactions
    users = pa.table({"id": pc.unique(interactions.column("user_id"))})
    items = batch.items
    if not parsed.catalogue_complete:
        # Items known only from interactions: create the missing ones, never blank known ones.
        seen = pc.unique(interactions.column("item_id"))
        items = pa.table({"id": seen.filter(pc.invert(pc.is_in(seen, value_set=store_items)))})
        items = (
            items.append_column("title", pa.nulls(items.num_rows, pa.string()))
            .append_column("price", pa.nulls(items.num_rows, pa.float64()))
            .append_column("in_stock", pa.nulls(items.num_rows, pa.bool_()))
            .append_column("created_at", pa.nulls(items.num_rows, pa.int64()))
        )
    batch = replace(batch, users=users, items=items)
    batch.__post_init__()
    written = store.write(batch)
    return LoadReport(
        format=fmt,
        path=str(path),
        rows=batch.sizes(),
        written=written,
        skipped=list(parsed.problems.found),
        seconds=time.perf_counter() - started,
    )
