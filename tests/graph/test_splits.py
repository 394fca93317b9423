from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split, temporal_split
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import shop_batch


def test_temporal_split_holds_out_each_users_latest(embedded: GraphStore) -> None:
    embedded.write(shop_batch())
    snap = export_snapshot(embedded)
    split = make_split(snap)
    assert split.kind == "temporal"
    users = snap.users.column("id").to_pylist()
    items = snap.items.column("id").to_pylist()

    def held(matrix, user: str) -> list[str]:  # type: ignore[no-untyped-def]
        return [items[i] for i in matrix[users.index(user)].indices]

    # alice: serum 100, cream 200, lipstick 300 -> train serum, valid cream, test lipstick.
    assert (held(split.train, "alice"), held(split.valid, "alice"), held(split.test, "alice")) == (
        ["serum"],
        ["cream"],
        ["lipstick"],
    )
    assert held(split.test, "carol") == ["mascara"]
    assert held(split.train, "dave") == ["lipstick", "mascara"]  # < 3 items: all train
    assert split.describe() == {"users": 4, "items": 6, "train": 5, "valid": 3, "test": 3}


def test_given_split_keeps_test_and_carves_validation(embedded: GraphStore) -> None:
    batch = shop_batch()
    split_column = [
        "test" if ts >= 300 else "train" for ts in batch.interactions.column("ts").to_pylist()
    ]
    embedded.write(
        GraphBatch(
            users=batch.users,
            items=batch.items,
            interactions=batch.interactions.set_column(6, "split", pa.array(split_column)),
        )
    )
    snap = export_snapshot(embedded)
    split = make_split(snap, "given")
    assert split.test.nnz == 3  # alice's lipstick, bob's toner, carol's mascara
    assert split.train.nnz + split.valid.nnz == 8
    assert not (split.train.multiply(split.valid)).nnz
    assert np.all(np.diff(split.seen().indptr) == np.diff((split.train + split.valid).indptr))
    with pytest.raises(InvalidInput, match="unknown split 'random'"):
        make_split(snap, "random")


def test_given_split_needs_a_given_split(embedded: GraphStore) -> None:
    embedded.write(shop_batch())
    with pytest.raises(InvalidInput, match="no given train/test split"):
        make_split(export_snapshot(embedded), "given")
    assert temporal_split(export_snapshot(embedded)).kind == "temporal"
