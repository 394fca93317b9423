"""Metrics on hand-checked rankings."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.evaluation import evaluate
from graphrec.graph.splits import Split
from graphrec.models.base import History, Recommender


class FixedScores(Recommender):
    """Scores given up front: item i of every user scores ``scores[user, i]``."""

    name = "fixed"

    def __init__(self, scores: np.ndarray) -> None:
        super().__init__(device="cpu")
        self.scores = torch.from_numpy(scores.astype(np.float32))
        self.num_users, self.num_items = scores.shape

    def fit(self, split: Split, on_eval=None) -> History:  # type: ignore[no-untyped-def]
        return History()

    def user_scores(self, users: np.ndarray) -> Tensor:
        return self.scores[torch.from_numpy(users)].clone()

    def state(self) -> dict[str, np.ndarray]:
        return {"scores": self.scores.numpy()}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.scores = torch.from_numpy(state["scores"])


def matrix(rows: list[list[int]], items: int) -> sp.csr_matrix:
    pairs = [(u, i) for u, its in enumerate(rows) for i in its]
    r, c = zip(*pairs, strict=True) if pairs else ((), ())
    return sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(rows), items))


def test_known_answers() -> None:
    # Ranking for both users: 5, 4, 3, 2, 1, 0, less each user's seen item (0 and 1).
    scores = np.tile(np.arange(6, dtype=np.float32), (2, 1))
    split = Split(
        "given",
        train=matrix([[0], [1]], 6),
        valid=matrix([[], []], 6),
        test=matrix([[4, 1], [0]], 6),
    )
    result = evaluate(FixedScores(scores), split, ks=(2, 5))
    # user 0: top5 = 5,4,3,2,1 -> hits at ranks 2 and 5; user 1: top5 = 5,4,3,2,0 -> rank 5.
    assert result["recall@2"] == (0.5 + 0.0) / 2
    assert result["precision@2"] == (1 / 2 + 0) / 2
    assert result["hit@2"] == 0.5
    assert result["hit@5"] == 1.0
    assert result["recall@5"] == 1.0
    ndcg_user0 = (1 / math.log2(3) + 1 / math.log2(6)) / (1 + 1 / math.log2(3))
    ndcg_user1 = 1 / math.log2(6)
    assert math.isclose(result["ndcg@5"], (ndcg_user0 + ndcg_user1) / 2, rel_tol=1e-6)
    assert math.isclose(result["map@5"], ((1 / 2 + 2 / 5) / 2 + 1 / 5) / 2, rel_tol=1e-6)
    assert math.isclose(result["coverage@6"], 6 / 6)
    assert result["users"] == 2


def test_a_rating_aware_test_set_keeps_what_the_shopper_liked(embedded) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    from graphrec.evaluation import rated_at_least
    from graphrec.graph.snapshot import export_snapshot
    from graphrec.graph.splits import make_split
    from graphrec.store import GraphBatch
    from tests.graphs import interactions_table, shop_batch

    embedded.write(shop_batch())
    rows = [
        ("u1", "serum", "rating", 5.0, 5.0, 10),
        ("u1", "cream", "rating", 2.0, 2.0, 20),
        ("u1", "toner", "rating", 5.0, 5.0, 30),  # u1's last film: liked
        ("u2", "serum", "rating", 4.0, 4.0, 10),
        ("u2", "cream", "rating", 5.0, 5.0, 20),
        ("u2", "toner", "rating", 1.0, 1.0, 30),  # u2's last: disliked
    ]
    embedded.write(
        GraphBatch(users=pa.table({"id": ["u1", "u2"]}), interactions=interactions_table(rows))
    )
    snapshot = export_snapshot(embedded)
    split = make_split(snapshot, "temporal")
    liked = rated_at_least(split, snapshot, 4.0)
    users = snapshot.users.column("id").to_pylist()
    items = snapshot.items.column("id").to_pylist()
    tested = {(users[u], items[i]) for u, i in zip(*liked.test.nonzero(), strict=True)}
    assert ("u1", "toner") in tested and not any(user == "u2" for user, _ in tested)
    # the shop's own last interactions carry no rating (bought, viewed): not in a liked set,
    # except carol's mascara, rated 4
    assert {user for user, _ in tested} == {"u1", "carol"}
    assert liked.train.nnz == split.train.nnz and liked.valid.nnz == split.valid.nnz
