from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.graph.derive import bought_with_edges, co_interaction_matrix
from graphrec.graph.snapshot import Snapshot, export_snapshot
from graphrec.store import GraphBatch, GraphStore
from graphrec.store.base import SCHEMAS
from tests.graphs import interactions_table, shop_batch


def test_snapshot_numbers_users_and_items_in_id_order(store: GraphStore) -> None:
    store.write(shop_batch())
    snap = export_snapshot(store)
    assert snap.users.column("id").to_pylist() == ["alice", "bob", "carol", "dave"]
    items = snap.items.column("id").to_pylist()
    assert items == ["brush", "cream", "lipstick", "mascara", "serum", "toner"]
    users, item_index = snap.column("user"), snap.column("item")
    pairs = [
        (snap.users.column("id")[u].as_py(), items[i])
        for u, i in zip(users, item_index, strict=True)
    ]
    assert pairs[:3] == [("alice", "serum"), ("alice", "cream"), ("alice", "lipstick")]
    assert snap.meta["kinds"] == ["cart", "purchase", "rating", "view"]
    assert snap.column("kind")[:3].tolist() == [1, 1, 3]
    assert snap.column("ts")[:3].tolist() == [100, 200, 300]
    brands = snap.brands.column("id").to_pylist()
    assert [brands[b] if b >= 0 else None for b in snap.items.column("brand").to_pylist()] == [
        None,
        "glow",
        "rouge",
        "rouge",
        "glow",
        "pure",
    ]
    categories = snap.categories.column("id").to_pylist()
    parent = snap.categories.column("parent").to_pylist()
    serums = categories.index("Skin Care > Face > Serums")
    assert categories[parent[serums]] == "Skin Care > Face"
    assert snap.meta["counts"]["interactions"] == 11


def test_numeric_ids_sort_as_numbers(store: GraphStore) -> None:
    ids = ["10", "9", "100", "0"]
    store.write(GraphBatch(users=pa.table({"id": ids})))
    assert export_snapshot(store).users.column("id").to_pylist() == ["0", "9", "10", "100"]


def test_save_load_round_trip_keeps_tables_and_fingerprint(
    store: GraphStore, tmp_path: Path
) -> None:
    store.write(shop_batch())
    snap = export_snapshot(store)
    loaded = Snapshot.load(snap.save(tmp_path / "snap"))
    for name in ("users", "items", "interactions", "categories", "brands", "item_categories"):
        assert getattr(loaded, name).equals(getattr(snap, name)), name
    assert loaded.meta == snap.meta
    assert export_snapshot(store).meta["fingerprint"] == snap.meta["fingerprint"]
    with pytest.raises(InvalidInput, match="not a graphrec snapshot"):
        Snapshot.load(tmp_path)
    with pytest.raises(InvalidInput, match="no split 'test'"):
        snap.split_mask("test")


def test_co_interaction_counts_and_top_k(store: GraphStore) -> None:
    store.write(shop_batch())
    snap = export_snapshot(store)
    items = snap.items.column("id").to_pylist()
    matrix = co_interaction_matrix(snap, excluded_kinds=["view"]).toarray()
    serum, cream, toner = items.index("serum"), items.index("cream"), items.index("toner")
    lipstick = items.index("lipstick")
    assert matrix[serum, cream] == 2 and matrix[serum, toner] == 2
    assert matrix[serum, lipstick] == 0  # alice only viewed the lipstick
    assert np.all(np.diag(matrix) == 0)
    edges = bought_with_edges(snap, ["view"], top_k=1, min_shoppers=2)
    assert sorted(zip(*edges.to_pydict().values(), strict=True)) == [
        ("cream", "serum", 2.0),
        ("serum", "cream", 2.0),
        ("toner", "serum", 2.0),
    ]


def test_test_split_does_not_leak_into_bought_with(store: GraphStore) -> None:
    batch = shop_batch()
    split = [
        "test" if user == "bob" else "train"
        for user in batch.interactions.column("user_id").to_pylist()
    ]
    interactions = batch.interactions.set_column(6, "split", pa.array(split))
    store.write(GraphBatch(users=batch.users, items=batch.items, interactions=interactions))
    snap = export_snapshot(store)
    items = snap.items.column("id").to_pylist()
    matrix = co_interaction_matrix(snap, excluded_kinds=[]).toarray()
    assert matrix[items.index("serum"), items.index("cream")] == 1  # bob's pair not counted


DAY = 86_400


def test_bought_with_counts_pairs_within_the_window(store: GraphStore) -> None:
    """Two interactions 199 days apart are not "bought together" under a 30-day window; a time
    of 0 (unknown) pairs with any; "not interested" never counts. The store's own counts (used
    after a privacy delete) agree with the snapshot's."""
    rows = [
        ("ann", "a", "purchase", 1.0, None, 1 * DAY),
        ("ann", "b", "purchase", 1.0, None, 2 * DAY),
        ("ann", "c", "purchase", 1.0, None, 100 * DAY),
        ("ann", "d", "not_interested", 1.0, None, 2 * DAY),
        ("ann", "a", "cart", 1.0, None, 3 * DAY),  # a twice: ann still counts once for (a, b)
        ("ben", "a", "purchase", 1.0, None, 1 * DAY),
        ("ben", "c", "purchase", 1.0, None, 3 * DAY),
        ("ben", "b", "purchase", 1.0, None, 200 * DAY),
        ("cid", "a", "purchase", 1.0, None, 0),
        ("cid", "b", "purchase", 1.0, None, 500 * DAY),
    ]
    store.write(
        GraphBatch(
            users=pa.table({"id": ["ann", "ben", "cid"]}),
            items=pa.Table.from_pylist([{"id": i} for i in "abcd"], schema=SCHEMAS["items"]),
            interactions=interactions_table(rows),
        )
    )
    snap = export_snapshot(store)
    a, b, c, d = (snap.items.column("id").to_pylist().index(i) for i in "abcd")
    windowed = co_interaction_matrix(snap, excluded_kinds=[], window=30 * DAY).toarray()
    assert (windowed[a, b], windowed[a, c], windowed[b, c], windowed[a, d]) == (2, 1, 0, 0)
    assert (windowed == windowed.T).all()
    every = co_interaction_matrix(snap, excluded_kinds=[]).toarray()
    assert (every[a, b], every[a, c], every[b, c], every[a, d]) == (3, 2, 2, 0)

    def counted(window: int) -> dict[str, int]:
        table = store.co_interaction_counts(["a"], ["not_interested"], window)
        return {r["other_id"]: r["shoppers"] for r in table.to_pylist()}

    assert counted(30 * DAY) == {"b": 2, "c": 1}
    assert counted(0) == {"b": 3, "c": 2}
