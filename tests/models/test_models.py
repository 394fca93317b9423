"""Every model passes the same checks on the planted graph, and beats popularity there."""

from __future__ import annotations

import numpy as np
import pytest

from graphrec.errors import InvalidInput
from graphrec.evaluation import evaluate
from graphrec.models import MODELS, ItemKNN, LightGCN, Popularity
from tests.models.planted import COMMUNITY, planted_split

# The catalogue is so small that validation recall@20 saturates: evaluate once, at the end.
FAST = {
    "lightgcn": {
        "embedding_dim": 16,
        "num_layers": 2,
        "lr": 0.05,
        "batch_size": 64,
        "epochs": 40,
        "eval_every": 40,
        "device": "cpu",
    },
    "lightgcn-softmax": {
        "embedding_dim": 16,
        "num_layers": 2,
        "lr": 0.05,
        "batch_size": 64,
        "loss": "softmax",
        "num_negatives": 16,
        "in_batch": 32,
        "tau": 0.2,
        "epochs": 40,
        "eval_every": 40,
        "device": "cpu",
    },
    "mf": {
        "embedding_dim": 16,
        "lr": 0.05,
        "batch_size": 64,
        "epochs": 60,
        "eval_every": 60,
        "device": "cpu",
    },
    "itemknn": {"neighbours": 10, "shrink": 0.0},
    "gfcf": {"dim": 4},
    "bspm": {"dim": 4, "sharpen_time": 0.5},
    "ease": {"l2": 10.0},
    "als": {"factors": 4, "regularization": 1.0, "alpha": 5.0, "iterations": 15},
}


def build(name: str):  # type: ignore[no-untyped-def]
    model_name = name.split("-")[0]
    return MODELS[model_name](**FAST[name])


@pytest.mark.parametrize("name", sorted(FAST))
def test_model_beats_popularity_on_the_planted_graph(name: str) -> None:
    split = planted_split()
    popularity = Popularity()
    popularity.fit(split)
    model = build(name)
    model.fit(split)
    ours = evaluate(model, split, ks=(5,))
    control = evaluate(popularity, split, ks=(5,))
    assert control["recall@5"] < 0.5
    assert ours["recall@5"] > 0.8
    assert ours["recall@5"] > control["recall@5"] + 0.4


@pytest.mark.parametrize("name", sorted(FAST))
def test_recommend_excludes_and_orders(name: str) -> None:
    split = planted_split()
    model = build(name)
    model.fit(split)
    users = np.arange(40)
    items, scores = model.recommend(users, 3, exclude=split.seen())
    assert items.shape == scores.shape == (40, 3)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
    other_community = 0  # blockbusters (items 20-22) are fair suggestions for both
    for user in users:
        assert not set(items[user]) & set(split.seen()[user].indices)
        other = COMMUNITY if user < 20 else 0
        other_community += sum(other <= item < other + COMMUNITY for item in items[user])
    assert other_community / items.size <= 0.1


@pytest.mark.parametrize("name", sorted(FAST))
def test_state_round_trip_gives_the_same_answers(name: str) -> None:
    split = planted_split()
    model = build(name)
    model.fit(split)
    clone = build(name)
    clone.set_state(model.state())
    users = np.arange(40)
    assert np.array_equal(model.recommend(users, 5)[0], clone.recommend(users, 5)[0])


def test_similar_items_stay_in_the_community() -> None:
    split = planted_split()
    for model in (build("lightgcn"), build("itemknn"), build("als")):
        model.fit(split)
        items, _ = model.similar_items(np.array([3, 14]), 4)
        assert 3 not in items[0] and 14 not in items[1]
        assert set(items[0]) <= set(range(COMMUNITY))
        assert set(items[1]) <= set(range(COMMUNITY, 2 * COMMUNITY))
    # EASE's rows say what else a shopper of the item has: the blockbusters (20-22) too
    ease = build("ease")
    ease.fit(split)
    items, _ = ease.similar_items(np.array([3, 14]), 4)
    assert 3 not in items[0] and 14 not in items[1]
    assert set(items[0]) <= set(range(COMMUNITY)) | {20, 21, 22}
    assert set(items[1]) <= set(range(COMMUNITY, 2 * COMMUNITY)) | {20, 21, 22}


def test_early_stopping_keeps_the_best_epoch() -> None:
    split = planted_split()
    model = LightGCN(**{**FAST["lightgcn"], "epochs": 60, "eval_every": 2, "patience": 2})
    history = model.fit(split)
    recalls = [row["valid_recall@20"] for row in history.rows]
    best = max(recalls)
    assert history.best_epoch == history.rows[recalls.index(best)]["epoch"]
    assert len(history.rows) < 30  # stopped early


def test_ctrl_c_keeps_the_best_epoch_so_far() -> None:
    split = planted_split()
    model = LightGCN(**{**FAST["lightgcn"], "epochs": 60, "eval_every": 2})
    evaluations: list[dict[str, float]] = []

    def interrupt_at_the_third(row: dict[str, float]) -> None:
        evaluations.append(row)
        if len(evaluations) == 3:
            raise KeyboardInterrupt

    history = model.fit(split, on_eval=interrupt_at_the_third)
    assert history.stopped == "interrupted" and len(history.rows) == 3
    recalls = [row["valid_recall@20"] for row in history.rows]
    assert history.best_epoch == history.rows[recalls.index(max(recalls))]["epoch"]
    assert evaluate(model, split, ks=(5,))["recall@5"] > 0  # a usable model
    with pytest.raises(KeyboardInterrupt):  # before any evaluation there is nothing to keep
        LightGCN(**{**FAST["lightgcn"], "eval_every": 40}).fit(
            split, on_eval=lambda row: (_ for _ in ()).throw(KeyboardInterrupt)
        )


def test_bad_arguments_are_named() -> None:
    with pytest.raises(InvalidInput, match="unknown loss 'hinge'"):
        LightGCN(loss="hinge")
    with pytest.raises(InvalidInput, match="device 'cuda' asked for"):
        if not __import__("torch").cuda.is_available():
            LightGCN(device="cuda")
        else:
            raise InvalidInput("device 'cuda' asked for")
    model = ItemKNN()
    model.fit(planted_split())
    with pytest.raises(InvalidInput, match="k must be in 1..23"):
        model.recommend(np.array([0]), 0)
    with pytest.raises(InvalidInput, match="pop has no item vectors"):
        Popularity().similar_items(np.array([0]), 3)
    with pytest.raises(InvalidInput, match="ease: l2 must be > 0"):
        MODELS["ease"](l2=0)
    with pytest.raises(InvalidInput, match="ease: neighbours must be >= 0"):
        MODELS["ease"](neighbours=-1)
    with pytest.raises(InvalidInput, match="als: factors and iterations must be >= 1"):
        MODELS["als"](factors=0)


@pytest.mark.parametrize("name", ["lightgcn", "itemknn", "gfcf", "bspm", "ease", "als"])
def test_observe_uses_new_history_without_training(name: str) -> None:
    split = planted_split()
    model = build(name)
    model.fit(split)
    user = np.array([0])
    before = model.user_scores(user).clone()
    history = split.seen().tolil()
    for item in range(COMMUNITY, COMMUNITY + 5):  # user 0 suddenly buys the other community
        history[0, item] = 1.0
    model.observe(history.tocsr())
    after = model.user_scores(user)
    other = slice(COMMUNITY + 5, 2 * COMMUNITY)
    assert float(after[0, other].mean()) > float(before[0, other].mean())
