"""Arrow helpers shared by the backends: anti-joins, change detection, endpoint checks."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from graphrec.errors import InvalidInput

#: Relationship tables of a GraphBatch: (key columns, source id column, its node table,
#: target id column, its node table).
REL_TABLES: dict[str, tuple[tuple[str, ...], str, str, str, str]] = {
    "category_parents": (
        ("category_id", "parent_id"),
        "category_id",
        "categories",
        "parent_id",
        "categories",
    ),
    "item_categories": (
        ("item_id", "category_id"),
        "item_id",
        "items",
        "category_id",
        "categories",
    ),
    "item_brands": (("item_id", "brand_id"), "item_id", "items", "brand_id", "brands"),
    "interactions": (("user_id", "item_id", "kind", "ts"), "user_id", "users", "item_id", "items"),
    "bought_with": (("item_id", "other_id"), "item_id", "items", "other_id", "items"),
    "similar_to": (("item_id", "other_id"), "item_id", "items", "other_id", "items"),
}
NODE_TABLES = ("users", "items", "categories", "brands")
#: The relationship type each batch table becomes.
REL_TYPE_OF = {
    "category_parents": "SUBCATEGORY_OF",
    "item_categories": "IN_CATEGORY",
    "item_brands": "MADE_BY",
    "interactions": "INTERACTED",
}


def require_unique(table: pa.Table, keys: tuple[str, ...], what: str) -> None:
    """Refuse a table whose key columns repeat or hold nulls, naming the first offender."""
    if table.num_rows == 0:
        return
    for key in keys:
        nulls = table.column(key).null_count
        if nulls:
            raise InvalidInput(f"{what}: {nulls} row(s) have no {key!r}")
    groups = table.group_by(list(keys)).aggregate([([], "count_all")])
    if groups.num_rows != table.num_rows:
        dup = groups.filter(pc.greater(groups.column("count_all"), 1)).slice(0, 1).to_pylist()[0]
        dup.pop("count_all")
        raise InvalidInput(f"{what}: duplicate key {dup}")


def anti_join(table: pa.Table, existing: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """Rows of ``table`` whose key is not in ``existing``, in their original order."""
    if table.num_rows == 0 or existing.num_rows == 0:
        return table
    marked = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    kept = marked.join(existing.select(list(keys)), keys=list(keys), join_type="left anti")
    order = pc.sort_indices(kept.column("__row"))
    return kept.take(order).drop_columns(["__row"])


def split_new_and_changed(table: pa.Table, existing: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Node rows whose id is new, and rows whose id exists with some other property value."""
    new = anti_join(table, existing, ("id",))
    if table.num_rows == new.num_rows:
        return new, table.slice(0, 0)
    props = [name for name in table.schema.names if name != "id"]
    if not props:
        return new, table.slice(0, 0)
    renamed = existing.rename_columns(["id"] + [f"__old_{p}" for p in props])
    both = table.join(renamed, keys="id", join_type="inner")
    differs = None
    for prop in props:
        new_col, old_col = both.column(prop), both.column(f"__old_{prop}")
        same = pc.or_(
            pc.fill_null(pc.equal(new_col, old_col), False),
            pc.and_(pc.is_null(new_col), pc.is_null(old_col)),
        )
        col_differs = pc.invert(same)
        differs = col_differs if differs is None else pc.or_(differs, col_differs)
    changed = both.filter(differs).select(table.schema.names)
    return new, changed.cast(table.schema)


def require_endpoints(name: str, rows: pa.Table, known: dict[str, pa.Array]) -> None:
    """Refuse relationship rows whose endpoints are neither in the batch nor in the store."""
    _, source_col, source_table, target_col, target_table = REL_TABLES[name]
    for col, node_table in ((source_col, source_table), (target_col, target_table)):
        ids = rows.column(col)
        missing_mask = pc.invert(pc.is_in(ids, value_set=known[node_table]))
        missing = pc.unique(ids.filter(missing_mask))
        if len(missing):
            sample = missing.slice(0, 5).to_pylist()
            raise InvalidInput(
                f"{name}: {len(missing)} {col} value(s) not found among {node_table} "
                f"(dangling reference), e.g. {sample}"
            )


def embedding_rows(rows: pa.Table) -> tuple[pa.Table, int]:
    """Item embeddings checked: one row per item, every vector of one length; returns the length."""
    from graphrec.store.base import SCHEMAS

    rows = rows.select(SCHEMAS["item_embeddings"].names).cast(SCHEMAS["item_embeddings"])
    require_unique(rows, ("item_id",), "item_embeddings")
    lengths = pc.unique(pc.list_value_length(rows.column("embedding"))).to_pylist()
    if len(lengths) > 1 or None in lengths:
        raise InvalidInput(
            f"item_embeddings: vectors of several lengths {sorted(map(str, lengths))}"
        )
    return rows, int(lengths[0]) if lengths else 0
