"""A small shop whose every answer is known, used by the store behaviour suite and others."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from graphrec.serving.activity import ActivitySettings
from graphrec.serving.options import EngineConfig
from graphrec.store.base import GraphBatch

ITEMS = [
    # id, title, price, in_stock, created_at, brand, category path
    ("serum", "Hydrating Serum", 24.0, True, 1000, "Glow", ["Skin Care", "Face", "Serums"]),
    ("cream", "Night Cream", 31.5, True, 1000, "Glow", ["Skin Care", "Face", "Moisturizers"]),
    ("toner", "Rose Toner", 12.0, False, 1100, "Pure", ["Skin Care", "Face", "Toners"]),
    ("lipstick", "Red Lipstick", 15.0, True, 1200, "Rouge", ["Makeup", "Lips"]),
    ("mascara", "Long Mascara", 18.0, True, 1200, "Rouge", ["Makeup", "Eyes"]),
    ("brush", "Blush Brush", None, None, None, None, ["Tools"]),
]

INTERACTIONS = [
    # user, item, kind, weight, rating, ts
    ("alice", "serum", "purchase", 5.0, None, 100),
    ("alice", "cream", "purchase", 5.0, None, 200),
    ("alice", "lipstick", "view", 1.0, None, 300),
    ("bob", "serum", "purchase", 5.0, None, 110),
    ("bob", "cream", "purchase", 5.0, None, 210),
    ("bob", "toner", "cart", 3.0, None, 310),
    ("carol", "serum", "purchase", 5.0, None, 120),
    ("carol", "toner", "purchase", 5.0, None, 220),
    ("carol", "mascara", "rating", 4.0, 4.0, 320),
    ("dave", "lipstick", "purchase", 5.0, None, 130),
    ("dave", "mascara", "purchase", 5.0, None, 230),
]
USERS = ["alice", "bob", "carol", "dave"]


def path_ids(path: list[str]) -> list[str]:
    return [" > ".join(path[: i + 1]) for i in range(len(path))]


def shop_batch() -> GraphBatch:
    categories: dict[str, str] = {}
    parents: dict[str, str] = {}
    for *_, path in ITEMS:
        ids = path_ids(path)
        for depth, node in enumerate(ids):
            categories[node] = path[depth]
            if depth:
                parents[node] = ids[depth - 1]
    brands = sorted({row[5] for row in ITEMS if row[5]})
    return GraphBatch(
        users=pa.table({"id": USERS}),
        items=pa.table(
            {
                "id": [r[0] for r in ITEMS],
                "title": [r[1] for r in ITEMS],
                "price": [r[2] for r in ITEMS],
                "in_stock": [r[3] for r in ITEMS],
                "created_at": pa.array([r[4] for r in ITEMS], pa.int64()),
            }
        ),
        categories=pa.table({"id": list(categories), "name": list(categories.values())}),
        brands=pa.table({"id": [b.lower() for b in brands], "name": brands}),
        category_parents=pa.table(
            {"category_id": list(parents), "parent_id": list(parents.values())}
        ),
        item_categories=pa.table(
            {"item_id": [r[0] for r in ITEMS], "category_id": [path_ids(r[6])[-1] for r in ITEMS]}
        ),
        item_brands=pa.table(
            {
                "item_id": [r[0] for r in ITEMS if r[5]],
                "brand_id": [r[5].lower() for r in ITEMS if r[5]],
            }
        ),
        interactions=interactions_table(INTERACTIONS),
    )


def interactions_table(rows: list[tuple], split: str | None = None) -> pa.Table:
    return pa.table(
        {
            "user_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "weight": [r[3] for r in rows],
            "rating": pa.array([r[4] for r in rows], pa.float64()),
            "ts": pa.array([r[5] for r in rows], pa.int64()),
            "split": pa.array([split] * len(rows), pa.string()),
        }
    )


def bought_with_table(rows: list[tuple[str, str, float]]) -> pa.Table:
    return pa.table(
        {
            "item_id": [r[0] for r in rows],
            "other_id": [r[1] for r in rows],
            "weight": [r[2] for r in rows],
        }
    )


def served_config(**changes: Any) -> EngineConfig:
    """How tests serve the shop: no exploration, no control group, no freshness boost, and
    the shop's own clock (its interactions are from 1970: on the wall clock nothing would be
    trending)."""
    settings: dict[str, Any] = {
        "explore": 0.0,
        "control_share": 0.0,
        "fresh_days": 0.0,
        "activity": ActivitySettings(clock="data"),
    }
    return EngineConfig(**{**settings, **changes})
