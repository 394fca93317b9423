"""A training snapshot: the store's graph with contiguous integer ids, as Arrow/Parquet files.

Users and items are numbered 0..n-1 in id order (numeric order when every id is an integer, as in
the benchmark datasets, so Gowalla's user 7 is row 7). Interactions become integer arrays with
time, kind and split codes; items carry title, price, stock, brand and categories as indices.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import graphrec
from graphrec.errors import InvalidInput
from graphrec.store.base import SCHEMAS, GraphStore

FILES = ("users", "items", "interactions", "categories", "brands", "item_categories")
FORMAT_VERSION = 1


def _read_all(store: GraphStore, table: str) -> pa.Table:
    batches = list(store.stream(table))
    if not batches:
        return SCHEMAS[table].empty_table()
    return pa.Table.from_batches(batches, schema=SCHEMAS[table])


def _ordered_ids(ids: pa.Array) -> pa.Array:
    """Numeric order when every id is an integer, else lexicographic."""
    if len(ids) and pc.all(pc.match_substring_regex(ids, r"^\d{1,18}$")).as_py():
        return ids.take(pc.sort_indices(pc.cast(ids, pa.int64())))
    return ids.take(pc.sort_indices(ids))


def _index(values: pa.ChunkedArray | pa.Array, ids: pa.Array, dtype: pa.DataType) -> pa.Array:
    found = pc.index_in(values, value_set=ids)
    return pc.fill_null(found, -1).cast(dtype)


def _codes(values: pa.ChunkedArray) -> tuple[pa.Array, list[str]]:
    """Small-vocabulary strings (kind, split) as int8 codes; null is code -1."""
    vocabulary = sorted(v for v in pc.unique(values).to_pylist() if v is not None)
    codes = _index(values, pa.array(vocabulary, pa.string()), pa.int8())
    return codes, vocabulary


@dataclass
class Snapshot:
    """Everything a model reads, with contiguous ids; tables are Arrow, arrays are zero-copy."""

    users: pa.Table  # id
    items: pa.Table  # id, title, price, in_stock, created_at, brand (index or -1)
    interactions: pa.Table  # user, item (int32), ts, kind (int8), weight, rating, split (int8)
    categories: pa.Table  # id, name, parent (index or -1)
    brands: pa.Table  # id, name
    item_categories: pa.Table  # item, category (int32)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_users(self) -> int:
        return self.users.num_rows

    @property
    def num_items(self) -> int:
        return self.items.num_rows

    def column(self, name: str) -> np.ndarray:
        """An interaction column as a NumPy array (``user``, ``item``, ``ts``, ``kind``...)."""
        return self.interactions.column(name).to_numpy()

    def split_mask(self, split: str) -> np.ndarray:
        splits: list[str] = self.meta["splits"]
        if split not in splits:
            raise InvalidInput(f"snapshot has no split {split!r}; it has {splits}")
        return self.column("split") == splits.index(split)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            pq.write_table(getattr(self, name), folder / f"{name}.parquet", compression="zstd")
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        if not (folder / "meta.json").is_file():
            raise InvalidInput(f"not a graphrec snapshot (no meta.json): {folder}")
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise InvalidInput(
                f"snapshot {folder} has format {meta.get('format_version')}, "
                f"this graphrec reads {FORMAT_VERSION}"
            )
        tables = {name: pq.read_table(folder / f"{name}.parquet") for name in FILES}
        return cls(meta=meta, **tables)


def _fingerprint(tables: dict[str, pa.Table]) -> str:
    digest = hashlib.sha256()
    for name in FILES:
        for column in tables[name].columns:
            for chunk in column.chunks:
                for buffer in chunk.buffers():
                    if buffer is not None:
                        digest.update(buffer)
    return digest.hexdigest()[:16]


def export_snapshot(store: GraphStore) -> Snapshot:
    """Read the whole store once and renumber it; a Gowalla-sized graph takes about a second."""
    started = time.perf_counter()
    raw = {
        name: _read_all(store, name)
        for name in (
            "users",
            "items",
            "interactions",
            "categories",
            "brands",
            "category_parents",
            "item_categories",
            "item_brands",
        )
    }

    user_ids = _ordered_ids(raw["users"].column("id").combine_chunks())
    items_raw = raw["items"]
    order = pc.index_in(
        _ordered_ids(items_raw.column("id").combine_chunks()), value_set=items_raw.column("id")
    )
    items_raw = items_raw.take(order)
    item_ids = items_raw.column("id").combine_chunks()
    categories = raw["categories"].sort_by("id")
    category_ids = categories.column("id").combine_chunks()
    brands = raw["brands"].sort_by("id")
    brand_ids = brands.column("id").combine_chunks()

    inter = raw["interactions"]
    kind, kinds = _codes(inter.column("kind"))
    split, splits = _codes(inter.column("split"))
    interactions = pa.table(
        {
            "user": _index(inter.column("user_id"), user_ids, pa.int32()),
            "item": _index(inter.column("item_id"), item_ids, pa.int32()),
            "ts": inter.column("ts"),
            "kind": kind,
            "weight": inter.column("weight").cast(pa.float32()),
            "rating": inter.column("rating").cast(pa.float32()),
            "split": split,
        }
    )
    # Deterministic order whatever order the store returned: by user, then time, then item.
    interactions = interactions.sort_by(
        [("user", "ascending"), ("ts", "ascending"), ("item", "ascending"), ("kind", "ascending")]
    )

    # One brand per item (the first by id if a source gave several).
    item_brands = raw["item_brands"].sort_by("brand_id")
    brand_of = np.full(len(item_ids), -1, dtype=np.int32)
    rows = _index(item_brands.column("item_id"), item_ids, pa.int32()).to_numpy()
    brand_index = _index(item_brands.column("brand_id"), brand_ids, pa.int32()).to_numpy()
    brand_of[rows[::-1]] = brand_index[::-1]

    parents = raw["category_parents"]
    parent_of = np.full(len(category_ids), -1, dtype=np.int32)
    child = _index(parents.column("category_id"), category_ids, pa.int32()).to_numpy()
    parent_of[child] = _index(parents.column("parent_id"), category_ids, pa.int32()).to_numpy()

    item_categories = pa.table(
        {
            "item": _index(raw["item_categories"].column("item_id"), item_ids, pa.int32()),
            "category": _index(
                raw["item_categories"].column("category_id"), category_ids, pa.int32()
            ),
        }
    ).sort_by([("item", "ascending"), ("category", "ascending")])

    tables = {
        "users": pa.table({"id": user_ids}),
        "items": items_raw.append_column("brand", pa.array(brand_of)),
        "interactions": interactions,
        "categories": categories.append_column("parent", pa.array(parent_of)),
        "brands": brands,
        "item_categories": item_categories,
    }
    meta = {
        "format_version": FORMAT_VERSION,
        "graphrec_version": graphrec.__version__,
        "store": store.url,
        "created_at": int(time.time()),
        "fingerprint": _fingerprint(tables),
        "kinds": kinds,
        "splits": splits,
        "counts": {name: table.num_rows for name, table in tables.items()},
        "export_seconds": round(time.perf_counter() - started, 3),
    }
    return Snapshot(meta=meta, **tables)
