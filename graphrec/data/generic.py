"""The generic format for a shop's own data: a folder with an interactions file and, optionally,
an items file, each as ``.csv``, ``.tsv`` or ``.parquet``.

``interactions``: ``user_id, item_id, kind, ts`` required; ``weight``, ``rating`` optional.
  ``kind`` is a lower-case word (view, cart, purchase, rating, ...); ``ts`` is Unix seconds or an
  ISO-8601 date/time; an empty ``weight`` takes the kind's default weight from the settings.
``items``: ``item_id`` required; ``title, brand, category, price, in_stock, created_at`` optional.
  ``category`` is a path from the top down joined by ``>`` (``Skin Care > Face > Serums``);
  several paths are separated by ``|``.

With an items file, every interaction must name an item in it or already in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graphrec.data._build import InteractionsBuilder, ItemsBuilder, Parsed, assemble
from graphrec.data._read import (
    Problems,
    parse_bool,
    parse_float,
    parse_kind,
    parse_timestamp,
    read_parquet_records,
    read_records,
    require_file,
)
from graphrec.errors import InvalidInput

INTERACTION_COLUMNS = ("user_id", "item_id", "kind", "ts")
INTERACTION_OPTIONAL = ("weight", "rating")
ITEM_COLUMNS = ("item_id",)
ITEM_OPTIONAL = ("title", "brand", "category", "price", "in_stock", "created_at")
EXTENSIONS = (".csv", ".tsv", ".parquet")


def _find(folder: Path, stem: str) -> Path | None:
    found = [folder / f"{stem}{ext}" for ext in EXTENSIONS if (folder / f"{stem}{ext}").exists()]
    if len(found) > 1:
        raise InvalidInput(f"csv: more than one {stem} file in {folder}: {[p.name for p in found]}")
    return found[0] if found else None


def _records(
    path: Path, problems: Problems, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    require_file(path, f"csv {path.stem} file")
    if path.suffix.lower() == ".parquet":
        return read_parquet_records(path, required, optional)
    return read_records(path, problems, required, optional)


def _parse_items(path: Path, problems: Problems) -> ItemsBuilder:
    items = ItemsBuilder(problems)
    for number, row in _records(path, problems, ITEM_COLUMNS, ITEM_OPTIONAL):
        item_id = row["item_id"]
        if not item_id:
            problems.add(path, number, "item_id", "empty")
            continue
        try:
            price = parse_float(row.get("price", ""))
            if price is not None and price < 0:
                raise ValueError("is negative")
        except ValueError as e:
            problems.add(path, number, "price", f"{row['price']!r}: {e}")
            continue
        try:
            in_stock = parse_bool(row.get("in_stock", ""))
        except ValueError as e:
            problems.add(path, number, "in_stock", f"{row['in_stock']!r}: {e}")
            continue
        created = row.get("created_at", "")
        try:
            created_at = parse_timestamp(created) if created else None
        except ValueError as e:
            problems.add(path, number, "created_at", f"{created!r}: {e}")
            continue
        title = row.get("title") or None
        if not items.add(path, number, item_id, title, price, in_stock, created_at):
            continue
        if row.get("brand"):
            items.catalogue.add_brand(item_id, row["brand"])
        for category_path in row.get("category", "").split("|"):
            items.catalogue.add_path(item_id, category_path.split(">"))
    return items


def read(path: Path, kind_weights: dict[str, float]) -> Parsed:
    if not path.is_dir():
        raise InvalidInput(
            f"csv: expected a folder holding interactions.csv|.tsv|.parquet "
            f"(and optionally items.*): {path}"
        )
    problems = Problems()
    inter_file = _find(path, "interactions")
    if inter_file is None:
        raise InvalidInput(f"csv: no interactions.csv, .tsv or .parquet in {path}")
    items_file = _find(path, "items")
    items = _parse_items(items_file, problems) if items_file else None

    interactions = InteractionsBuilder(problems, kind_weights)
    for number, row in _records(inter_file, problems, INTERACTION_COLUMNS, INTERACTION_OPTIONAL):
        bad = [name for name in ("user_id", "item_id", "kind", "ts") if not row[name]]
        if bad:
            problems.add(inter_file, number, bad[0], "empty")
            continue
        try:
            kind = parse_kind(row["kind"])
        except ValueError as e:
            problems.add(inter_file, number, "kind", f"{row['kind']!r}: {e}")
            continue
        try:
            ts = parse_timestamp(row["ts"])
        except ValueError as e:
            problems.add(inter_file, number, "ts", f"{row['ts']!r}: {e}")
            continue
        values: dict[str, float | None] = {}
        for name in INTERACTION_OPTIONAL:
            try:
                values[name] = parse_float(row.get(name, ""))
            except ValueError as e:
                problems.add(inter_file, number, name, f"{row[name]!r}: {e}")
        if len(values) != 2:
            continue
        weight = values["weight"]
        if weight is not None and weight <= 0:
            problems.add(inter_file, number, "weight", f"{weight} is not > 0")
            continue
        interactions.add(
            inter_file, number, row["user_id"], row["item_id"], kind, ts, weight, values["rating"]
        )
    return assemble(items, interactions, catalogue_complete=items is not None)
