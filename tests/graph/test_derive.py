"""BOUGHT_WITH derived for a few items from the store's counts equals the same items' edges
derived from a whole snapshot, ties and cut-offs included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from graphrec.config import get_settings
from graphrec.graph.derive import derive_bought_with, derive_bought_with_of, items_counted_for
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import interactions_table


def edges(store: GraphStore) -> list[tuple[str, str, float]]:
    rows = pa.Table.from_batches(list(store.stream("bought_with"))).to_pylist()
    return sorted((r["item_id"], r["other_id"], r["weight"]) for r in rows)


def items_table(ids: list[str]) -> pa.Table:
    return pa.table(
        {
            "id": ids,
            "title": ids,
            "price": pa.nulls(len(ids), pa.float64()),
            "in_stock": [True] * len(ids),
            "created_at": pa.nulls(len(ids), pa.int64()),
        }
    )


def random_shop(seed: int) -> GraphBatch:
    """30 shoppers over 12 items: many equal counts, so ties decide what the top 3 keep."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(30):
        for item in rng.choice(12, size=rng.integers(1, 6), replace=False):
            kind = str(rng.choice(["purchase", "cart", "view"]))
            rows.append((f"u{user}", f"item-{item}", kind, 1.0, None, int(rng.integers(1000))))
    items = sorted({r[1] for r in rows})
    return GraphBatch(
        users=pa.table({"id": sorted({r[0] for r in rows})}),
        items=items_table(items),
        interactions=interactions_table(rows),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_derived_for_a_few_items_equals_derived_for_all(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setenv("GRAPHREC_BOUGHT_WITH_TOP_K", "3")
    get_settings.cache_clear()
    store.write(random_shop(seed))
    derive_bought_with(store)
    whole = edges(store)
    assert len(whole) > 10
    every_item = sorted({item for item, _, _ in whole})
    store.replace_bought_with(pa.table({"item_id": [], "other_id": [], "weight": []}))
    assert derive_bought_with_of(store, every_item) == len(whole)
    assert edges(store) == whole

    # a shopper leaves: re-deriving their items only gives what a full derive gives
    shopper = next(f"u{n}" for n in range(30) if len(items_counted_for(store, f"u{n}")) >= 3)
    counted = items_counted_for(store, shopper)
    assert store.delete_user(shopper)
    derive_bought_with_of(store, counted)
    partial = edges(store)
    derive_bought_with(store)
    assert partial == edges(store)


def test_a_shopper_with_one_counted_item_changes_no_weight(store: GraphStore) -> None:
    store.write(
        GraphBatch(
            users=pa.table({"id": ["a"]}),
            items=items_table(["x", "y"]),
            interactions=interactions_table(
                [("a", "x", "purchase", 1.0, None, 1), ("a", "y", "view", 1.0, None, 2)]
            ),
        )
    )
    assert items_counted_for(store, "a") == []  # the view does not count
