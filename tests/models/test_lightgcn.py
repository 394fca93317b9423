"""LightGCN's closed-form start and its shoppers answered from their items."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphrec.errors import InvalidInput
from graphrec.graph.splits import Split
from graphrec.models import LightGCN
from graphrec.models.lightgcn import normalized_adjacency
from tests.models.planted import planted_split
from tests.models.test_tuning import communities_split


def untrained(split: Split, **config: object) -> LightGCN:
    """A model set up on ``split`` but not trained (its start)."""
    model = LightGCN(device="cpu", loss="bpr", **config)  # type: ignore[arg-type]
    model.num_users, model.num_items = split.num_users, split.num_items
    model._setup(split, torch.Generator().manual_seed(0))
    return model


def low_pass(split: Split, rank: int, layers: int) -> np.ndarray:
    """The rank-``rank`` truncation of the normalised user x item matrix, each singular value
    s also scaled by the layers' mean (1 + s + ... + s^L) / (L + 1), squared."""
    users = split.num_users
    normalised = normalized_adjacency(split.train)[:users, users:].toarray().astype(np.float64)
    u, s, vt = np.linalg.svd(normalised, full_matrices=False)
    scale = np.mean([s**layer for layer in range(layers + 1)], axis=0) ** 2
    return (u[:, :rank] * (s * scale)[:rank]) @ vt[:rank]


@pytest.mark.parametrize("layers", [0, 2])
def test_the_spectral_start_is_the_ideal_low_pass_filter(layers: int) -> None:
    split = planted_split()
    model = untrained(split, init="svd", embedding_dim=6, num_layers=layers)
    users, items = model._encode()
    scores = (users @ items.T).detach().numpy()
    np.testing.assert_allclose(scores, low_pass(split, 6, layers), atol=1e-4)


def test_the_start_is_evaluated_and_kept_when_training_makes_it_worse() -> None:
    split = communities_split()
    model = LightGCN(init="svd", embedding_dim=8, lr=1.0, epochs=4, eval_every=1, patience=2)
    history = model.fit(split)
    assert history.rows[0]["epoch"] == 0 and "loss" not in history.rows[0]
    # the communities are the top singular vectors: the untrained start finds every shopper's
    # validation item; a step this large loses some, so the start is what is kept
    assert history.rows[0]["valid_recall@20"] == 1.0
    assert history.rows[1]["valid_recall@20"] < 1.0
    assert history.best_epoch == 0 and history.stopped == "patience"
    again = untrained(split, init="svd", embedding_dim=8)
    np.testing.assert_allclose(
        model.embedding.detach().numpy(), again.embedding.detach().numpy(), atol=1e-6
    )


def test_shoppers_answered_from_their_items_are_the_sum_of_their_items_vectors() -> None:
    split = planted_split()
    model = LightGCN(init="svd", users_from_items=True, embedding_dim=6, epochs=2)
    model.fit(split)
    history = split.seen()
    model.observe(history)
    items = model.item_vectors().numpy()
    expected = (history.toarray() @ items) @ items.T
    shoppers = np.arange(split.num_users)
    np.testing.assert_allclose(model.user_scores(shoppers).numpy(), expected, atol=1e-4)
    # the served form: each item's item-item scores summed over the shopper's items, no user
    # vectors; on this small catalogue every weight is kept, so it equals the model's scores
    # except on a shopper's own items (an item's weight on itself is left out)
    parts = model.serving_parts()
    assert not parts.users.any()
    served = parts.scores(shoppers, history.astype(np.float32))
    unseen = history.toarray() == 0
    np.testing.assert_allclose(served[unseen], expected[unseen], atol=1e-4)


def test_a_new_event_changes_the_answer_without_training() -> None:
    split = planted_split()
    model = LightGCN(init="svd", users_from_items=True, embedding_dim=6, epochs=2)
    model.fit(split)
    # shopper 0 (first community) suddenly buys many second-community items
    history = split.seen().tolil()
    for item in range(10, 20):
        history[0, item] = 1.0
    before = model.user_scores(np.array([0])).numpy()[0]
    model.observe(sp.csr_matrix(history))
    after = model.user_scores(np.array([0])).numpy()[0]
    second = np.arange(10, 20)
    assert after[second].mean() - after[:10].mean() > before[second].mean() - before[:10].mean()


def test_an_unknown_start_and_a_setting_that_is_not_a_switch_are_named() -> None:
    with pytest.raises(InvalidInput, match="lightgcn: unknown init 'zeros'"):
        LightGCN(init="zeros")
    with pytest.raises(InvalidInput, match="lightgcn: users_from_items must be true or false"):
        LightGCN(users_from_items="yes")
