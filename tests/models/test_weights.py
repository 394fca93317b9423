"""Interaction strength: each pair's strongest weight (stars, kind weight), negative kinds left
out, and the models that can train on it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.base import interaction_strength, weighted
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import interactions_table, shop_batch


def test_strength_is_each_pairs_strongest_weight(embedded: GraphStore) -> None:
    embedded.write(shop_batch())
    embedded.write(
        GraphBatch(
            interactions=interactions_table(
                [
                    ("alice", "serum", "view", 1.0, None, 900),  # weaker than her purchase (5)
                    ("dave", "serum", "not_interested", 9.0, None, 910),  # not interest at all
                ]
            )
        )
    )
    snapshot = export_snapshot(embedded)
    strength = interaction_strength(snapshot).toarray()
    users = snapshot.users.column("id").to_pylist()
    items = snapshot.items.column("id").to_pylist()

    def at(user: str, item: str) -> float:
        return float(strength[users.index(user), items.index(item)])

    assert at("alice", "serum") == 5.0 and at("alice", "lipstick") == 1.0
    assert at("carol", "mascara") == 4.0  # her rating's stars
    assert at("dave", "serum") == 0.0
    history = np.zeros_like(strength)
    history[users.index("dave"), items.index("serum")] = 1.0  # not in strength: counts 1
    history[users.index("alice"), items.index("serum")] = 1.0
    out = weighted(csr_matrix(history), interaction_strength(snapshot)).toarray()
    assert out[users.index("dave"), items.index("serum")] == 1.0
    assert out[users.index("alice"), items.index("serum")] == 5.0
    assert out.sum() == 6.0


@pytest.mark.parametrize("name", ["ease", "als"])
def test_weighted_models_need_the_snapshot_and_round_trip(embedded: GraphStore, name: str) -> None:
    embedded.write(shop_batch())
    snapshot = export_snapshot(embedded)
    split = make_split(snapshot, "given" if "test" in snapshot.meta["splits"] else "temporal")
    params = {"l2": 1.0} if name == "ease" else {"factors": 2, "iterations": 3}
    with pytest.raises(InvalidInput, match=f"{name}: weighted needs the snapshot"):
        MODELS[name](**params, weighted=True).fit(split)
    model = MODELS[name](**params, weighted=True)
    model.use_snapshot(snapshot)
    model.fit(split)
    plain = MODELS[name](**params)
    plain.fit(split)
    users = np.arange(split.num_users)
    assert not np.allclose(model.user_scores(users).numpy(), plain.user_scores(users).numpy())
    clone = MODELS[name](**params, weighted=True)
    clone.use_snapshot(snapshot)
    clone.set_state(model.state())
    assert np.allclose(clone.user_scores(users).numpy(), model.user_scores(users).numpy())
