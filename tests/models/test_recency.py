"""Recency: a shopper's items weighed by how recent they are, for the models that score from
a shopper's items (EASE, item-KNN, GF-CF, BSPM, LightGCN answering from items)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy.sparse import csr_matrix

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.base import recency_weights
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import interactions_table, shop_batch


def test_weights_halve_every_half_life_and_ties_share_a_rank() -> None:
    history = csr_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 1], [0, 0, 0, 0]], dtype=np.float32))
    times = csr_matrix(np.array([[10, 30, 20, 0], [5, 5, 0, 0], [0, 0, 0, 0]], dtype=np.float64))
    weights = recency_weights(history, times, half_life=1.0)
    # row 0: newest 30 (1), then 20 (1/2), then 10 (1/4); row 1: two at time 5 share rank 0,
    # the item with no time is the oldest, after both
    assert weights.tolist() == [0.25, 1.0, 0.5, 1.0, 1.0, 0.25]
    assert recency_weights(history, times, half_life=2.0)[:3].tolist() == pytest.approx(
        [0.5, 1.0, 2**-0.5]
    )


def two_pairs_shop(embedded: GraphStore, newest: str) -> tuple[np.ndarray, list[str]]:
    """Three shoppers buy serum with cream, three lipstick with mascara; quinn had serum and
    lipstick, ``newest`` of them last. Returns quinn's full history matrix and the item ids."""
    embedded.write(shop_batch())
    rows = []
    for n in range(3):
        rows += [(f"s{n}", "serum", "purchase", 5.0, None, 10 + n)]
        rows += [(f"s{n}", "cream", "purchase", 5.0, None, 20 + n)]
        rows += [(f"l{n}", "lipstick", "purchase", 5.0, None, 10 + n)]
        rows += [(f"l{n}", "mascara", "purchase", 5.0, None, 20 + n)]
    older = "serum" if newest == "lipstick" else "lipstick"
    rows += [
        ("quinn", older, "purchase", 5.0, None, 1000),
        ("quinn", newest, "view", 1.0, None, 2000),
    ]
    users = sorted({r[0] for r in rows})
    embedded.write(GraphBatch(users=pa.table({"id": users}), interactions=interactions_table(rows)))
    return users, rows


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ease", {"l2": 1.0}),
        ("itemknn", {"neighbours": 5, "shrink": 0.0}),
        ("gfcf", {"beta": 0.0}),
        ("bspm", {"beta": 0.0, "sharpen_time": 0.1}),
        (
            "lightgcn",
            {"init": "svd", "users_from_items": True, "embedding_dim": 8, "epochs": 2},
        ),
    ],
)
@pytest.mark.parametrize("newest", ["lipstick", "serum"])
def test_the_newest_items_partner_comes_first(
    embedded: GraphStore, name: str, params: dict, newest: str
) -> None:
    two_pairs_shop(embedded, newest)
    snapshot = export_snapshot(embedded)
    split = make_split(snapshot, "temporal")
    items = snapshot.items.column("id").to_pylist()
    quinn = snapshot.users.column("id").to_pylist().index("quinn")
    users, item_index = snapshot.column("user"), snapshot.column("item")
    everything = csr_matrix(
        (np.ones(len(users), np.float32), (users, item_index)),
        shape=(snapshot.num_users, snapshot.num_items),
    )
    partner = {"lipstick": "mascara", "serum": "cream"}

    def scores(half_life: float) -> np.ndarray:
        model = MODELS[name](**params, recency_half_life=half_life, device="cpu")
        model.use_snapshot(snapshot)
        model.fit(split)
        model.observe(everything)
        return model.user_scores(np.array([quinn])).numpy()[0]

    weighed = scores(1.0)
    new, old = (
        items.index(partner[newest]),
        items.index(partner[({"lipstick", "serum"} - {newest}).pop()]),
    )
    # whichever of the two quinn had last, its partner comes first (binary rows cannot tell)
    assert weighed[new] > weighed[old]


def test_recency_needs_the_snapshot_and_a_positive_half_life(embedded: GraphStore) -> None:
    embedded.write(shop_batch())
    split = make_split(export_snapshot(embedded), "temporal")
    with pytest.raises(InvalidInput, match="ease: recency_half_life needs the snapshot"):
        MODELS["ease"](l2=1.0, recency_half_life=4.0).fit(split)
    with pytest.raises(InvalidInput, match="itemknn: recency_half_life must be >= 0, got -1"):
        MODELS["itemknn"](recency_half_life=-1.0)
