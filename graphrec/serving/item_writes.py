"""An item write as the store takes it: what ``upsertItem`` names, as one batch."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from graphrec.store.base import GraphBatch


@dataclass(frozen=True)
class ItemInput:
    id: str
    title: str | None = None
    price: float | None = None
    in_stock: bool | None = None  # None: as it was (a new item: in stock)
    brand_id: str | None = None
    brand_name: str | None = None
    categories: tuple[tuple[str, str | None], ...] = ()
    #: (category, the category above it): links a new category into the tree
    category_parents: tuple[tuple[str, str], ...] = ()


def item_batch(
    item: ItemInput, title: str | None, price: float | None, in_stock: bool | None, created_at: int
) -> GraphBatch:
    """The batch that writes ``item`` (its fields as resolved against the store: ``title``,
    ``price``, ``in_stock``, ``created_at``), its brand, categories and their parents."""
    return GraphBatch(
        items=pa.table(
            {
                "id": [item.id],
                "title": pa.array([title], pa.string()),
                "price": pa.array([price], pa.float64()),
                "in_stock": pa.array([in_stock], pa.bool_()),
                "created_at": pa.array([created_at], pa.int64()),
            }
        ),
        brands=pa.table(
            {
                "id": pa.array([item.brand_id] if item.brand_id else [], pa.string()),
                "name": pa.array([item.brand_name] if item.brand_id else [], pa.string()),
            }
        ),
        item_brands=pa.table(
            {
                "item_id": pa.array([item.id] if item.brand_id else [], pa.string()),
                "brand_id": pa.array([item.brand_id] if item.brand_id else [], pa.string()),
            }
        ),
        categories=pa.table(
            {
                "id": pa.array([c for c, _ in item.categories], pa.string()),
                "name": pa.array([n for _, n in item.categories], pa.string()),
            }
        ),
        item_categories=pa.table(
            {
                "item_id": pa.array([item.id] * len(item.categories), pa.string()),
                "category_id": pa.array([c for c, _ in item.categories], pa.string()),
            }
        ),
        category_parents=pa.table(
            {
                "category_id": pa.array([c for c, _ in item.category_parents], pa.string()),
                "parent_id": pa.array([p for _, p in item.category_parents], pa.string()),
            }
        ),
    )
