"""EASE for catalogues too large to invert: each item's weights solved over its neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from graphrec.models.ease import EASE, local_weights


def exact(train: sp.csr_matrix, l2: float) -> np.ndarray:
    gram = (train.T @ train).toarray() + l2 * np.eye(train.shape[1])
    precision = np.linalg.inv(gram)
    weights = precision / (-np.diag(precision))
    np.fill_diagonal(weights, 0.0)
    return weights


def test_over_every_neighbour_it_is_eases_closed_form() -> None:
    """EASE's solution is each item's ridge regression on the others: where every two items
    were chosen together, solving over all of them gives the closed form exactly."""
    rng = np.random.default_rng(0)
    dense = (rng.random((60, 8)) < 0.6).astype(np.float32)
    train = sp.csr_matrix(dense)
    assert ((dense.T @ dense) > 0).all()  # every pair chosen together
    local = local_weights(train, l2=5.0, width=7).toarray()
    assert np.allclose(local, exact(train, 5.0), atol=1e-5)
    # fewer neighbours: each column has at most that many weights, from its most co-chosen
    narrow = local_weights(train, l2=5.0, width=3)
    assert (np.diff(narrow.tocsc().indptr) <= 3).all()


def test_a_catalogue_above_max_items_is_served_sparse() -> None:
    rng = np.random.default_rng(1)
    train = sp.csr_matrix((rng.random((40, 12)) < 0.4).astype(np.float32))
    model = EASE(l2=2.0, max_items=10, device="cpu")  # 12 items: above the limit
    model.num_users, model.num_items = train.shape
    model.train = model.rows(train)
    model.weights = model._solve(model.train)
    model.observe(train)
    assert model.local is not None and model.local.shape == (12, 12)
    scores = model.user_scores(np.arange(5))
    expected = torch.from_numpy((train[:5] @ model.local).toarray())
    assert torch.allclose(scores, expected.float())
    top, _ = model.similar_items(np.array([0, 1]), 3)
    assert top.shape == (2, 3) and 0 not in top[0] and 1 not in top[1]
    assert model.serving_parts().neighbours is not None
