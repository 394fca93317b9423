"""A blend of models: scores, served form, saved state, bad settings, and the search's blend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphrec.errors import InvalidInput
from graphrec.evaluation import mixed_validation_recalls, validation_recall
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import ALS, EASE, Blend, ItemKNN, LightGCN, Recommender
from graphrec.store import GraphStore
from graphrec.training.blending import blend_trials, gain_note, tune_and_blend
from graphrec.training.train import fit_final
from tests.models.test_recency import two_pairs_shop
from tests.models.test_tuning import communities_split

PARTS = [
    {"model": "lightgcn", "params": {"init": "svd", "users_from_items": True, "epochs": 2}},
    {"model": "ease", "params": {"l2": 10.0}},
]


def fitted_blend(weights: list[float]) -> Blend:
    split = communities_split()
    blend = Blend(parts=PARTS, weights=weights, device="cpu")
    blend.fit(split)
    return blend


def test_scores_are_the_parts_scores_each_scaled_to_its_spread_and_weighed() -> None:
    split = communities_split()
    blend = Blend(parts=PARTS, weights=[0.75, 0.25], device="cpu")
    blend.fit(split)
    users = np.arange(split.num_users)
    lightgcn = LightGCN(**PARTS[0]["params"], device="cpu")  # type: ignore[arg-type]
    lightgcn.fit(split)
    ease = EASE(l2=10.0)
    ease.fit(split)
    a, b = lightgcn.user_scores(users).numpy(), ease.user_scores(users).numpy()
    # the scale: the median spread over the shoppers (all 120 here, fewer than the sample)
    scales = [float(np.median(s.std(axis=1, ddof=1))) for s in (a, b)]
    np.testing.assert_allclose(blend.scales, scales, rtol=1e-4)
    expected = 0.75 * a / scales[0] + 0.25 * b / scales[1]
    np.testing.assert_allclose(blend.user_scores(users).numpy(), expected, rtol=1e-4, atol=1e-5)
    # the served form is the parts' added: it ranks as the blend does
    history = split.seen()
    blend.observe(history)
    parts = blend.serving_parts()
    served = parts.scores(users, history.astype(np.float32))
    unseen = history.toarray() == 0  # an item's weight on itself is left out
    scores = blend.user_scores(users).numpy()
    np.testing.assert_allclose(served[unseen], scores[unseen], rtol=1e-3, atol=1e-4)


def test_a_saved_blend_answers_as_it_did(tmp_path: Path) -> None:
    blend = fitted_blend([0.6, 0.4])
    again = Blend(parts=PARTS, weights=[0.6, 0.4], device="cpu")
    again.set_state(blend.state())
    users = np.arange(blend.num_users)
    np.testing.assert_allclose(again.user_scores(users), blend.user_scores(users), atol=1e-6)
    assert again.config["weights"] == [0.6, 0.4]


def test_mixes_score_as_blends_of_those_weights_do() -> None:
    split = communities_split(communities=2, size=40)  # 34 unseen of a community: top 20 misses
    blend = Blend(parts=PARTS, device="cpu")
    blend.fit(split)
    weights = [(0.9, 0.1), (0.5, 0.5), (1.0, 0.0), (0.0, 1.0)]
    mixes = [[a / blend.scales[0], b / blend.scales[1]] for a, b in weights]
    # batches of 32 of the 120 shoppers: every batch's scores serve every mix
    recalls = mixed_validation_recalls(blend.models, mixes, split, batch_size=32)
    assert recalls.shape == (4, 120)  # each shopper's recall under each mix
    assert set(np.unique(recalls)) <= {0.0, 1.0}  # one validation item each: found or not
    for (a, b), row in zip(weights, recalls, strict=True):
        blend.set_weights([a, b])
        assert row.mean() == pytest.approx(validation_recall(blend, split), abs=1e-6)
    # a mix of one model alone ranks as that model does
    assert recalls[2].mean() == pytest.approx(validation_recall(blend.models[0], split), abs=1e-6)
    assert recalls[3].mean() == pytest.approx(validation_recall(blend.models[1], split), abs=1e-6)
    assert len({row.mean() for row in recalls}) > 1  # the weights matter here
    with pytest.raises(InvalidInput, match="one factor per model"):
        mixed_validation_recalls(blend.models, [[1.0]], split)


def test_the_blends_gain_is_given_with_its_interval() -> None:
    differences = np.array([1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 1.0, 0.0])  # mean 0.25
    half = 1.96 * differences.std(ddof=1) / np.sqrt(8)
    assert gain_note(differences, "lightgcn") == f"+0.2500 ± {half:.4f} over lightgcn (95 %)"
    assert gain_note(np.array([1.0]), "ease") == ""  # one shopper: no interval


def test_bad_blends_are_refused_with_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="at least two models, got 1"):
        Blend(parts=PARTS[:1])
    with pytest.raises(InvalidInput, match="3 weights for 2 parts"):
        Blend(parts=PARTS, weights=[1, 1, 1])
    with pytest.raises(InvalidInput, match=r"weights must be >= 0"):
        Blend(parts=PARTS, weights=[1, -1])
    with pytest.raises(InvalidInput, match=r"parts\[1\].model .* got 'pop'"):
        Blend(parts=[PARTS[0], {"model": "pop"}])
    with pytest.raises(InvalidInput, match=r"one recency_half_life, got \[0.0, 2.0\]"):
        Blend(parts=[PARTS[0], {"model": "ease", "params": {"recency_half_life": 2.0}}])
    with pytest.raises(InvalidInput, match=r"parts\[1\] \(ease\): ease: l2 must be > 0"):
        Blend(parts=[PARTS[0], {"model": "ease", "params": {"l2": -1}}])


def test_the_search_blends_its_two_best_models_at_the_weight_best_on_validation() -> None:
    split = communities_split()
    tuning = tune_and_blend(split, ["pop", "itemknn", "ease"], budget_seconds=60, device="cpu")
    assert not tuning.fitted  # let go once blended
    blend = tuning.trials[-1]
    assert blend.model == "blend" and blend.score is not None
    # the parts: the two best of the servable models (pop is not one), each at its best
    best = sorted((t for t in tuning.trials[:-1] if t.model != "pop"), key=lambda t: -t.score)
    leader = best[0]
    runner_up = next(t for t in best if t.model != leader.model)
    parts = blend.params["parts"]
    assert [p["model"] for p in parts] == [leader.model, runner_up.model]
    assert [p["params"] for p in parts] == [leader.params, runner_up.params]
    weight = blend.params["weights"][0]
    assert weight in (0.9, 0.8, 0.7, 0.6, 0.5) and blend.params["weights"][1] == pytest.approx(
        1 - weight
    )
    # its score is the blend's validation recall at that weight, refitted from its settings
    again = Blend(**blend.params, device="cpu")
    again.fit(split)
    assert validation_recall(again, split) == pytest.approx(blend.score)
    # the table says how much it gains over the leader, and how surely
    assert blend.note.endswith(f" over {leader.model} (95 %)")
    assert float(blend.note.split()[0]) == pytest.approx(blend.score - leader.score, abs=1e-4)
    # its final fit trains both parts on training and validation
    model, final, _ = fit_final(blend, split, None, device="cpu")
    assert isinstance(model, Blend) and final.valid.nnz == 0
    assert final.train.nnz == split.train.nnz + split.valid.nnz


def test_a_runner_up_with_another_half_life_is_tried_at_the_leaders(
    embedded: GraphStore,
) -> None:
    from graphrec.training.tuning import Trial, Tuning

    two_pairs_shop(embedded, "lipstick")  # with times, for recency
    snapshot = export_snapshot(embedded)
    split = make_split(snapshot, "temporal")

    def kept(*entries: tuple[str, Recommender, float]) -> Tuning:
        tuning = Tuning()
        for name, model, score in entries:
            model.use_snapshot(snapshot)
            model.fit(split)
            tuning.trials.append(Trial(name, dict(model.config), score, 1.0))
            tuning.fitted[name] = model
        return tuning

    # EASE can weigh by recency: one more trial of it at the leader's half-life, then the blend
    leader = ItemKNN(recency_half_life=2.0)
    tuning = kept(("itemknn", leader, 0.5), ("ease", EASE(l2=10.0), 0.4))
    again, blend = blend_trials(tuning, split, device="cpu", snapshot=snapshot)
    assert again.model == "ease" and again.params["recency_half_life"] == 2.0
    assert again.score is not None
    assert [p["params"]["recency_half_life"] for p in blend.params["parts"]] == [2.0, 2.0]
    assert blend.score is not None
    # ALS cannot: no blend, and the trial says why
    tuning = kept(("itemknn", leader, 0.5), ("als", ALS(factors=4), 0.4))
    [refused] = blend_trials(tuning, split, device="cpu", snapshot=snapshot)
    assert refused.model == "blend" and refused.score is None
    assert refused.error == (
        "itemknn weighs a shopper's items with a recency half-life of 2 items, "
        "and als has no such setting"
    )
    tuning.fitted.pop("als")
    assert blend_trials(tuning, split) == []  # one model kept: nothing to blend


def test_a_blend_that_ranks_as_its_leader_ties_with_it_and_the_leader_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import graphrec.training.blending as blending

    split = communities_split()
    tuning = tune_and_blend(split, ["itemknn", "ease"], budget_seconds=60, device="cpu")
    leader = max(tuning.trials[:-1], key=lambda t: t.score or 0.0)
    # every mix finds what the leader alone finds, shopper by shopper (a float32 mean of the
    # same hits may round either way: the blend's score is the leader's plus the gain)
    monkeypatch.setattr(
        blending, "mixed_validation_recalls", lambda models, mixes, split: np.full((6, 9), 0.7)
    )
    tuning = tune_and_blend(split, ["itemknn", "ease"], budget_seconds=60, device="cpu")
    blend = tuning.trials[-1]
    assert blend.model == "blend" and blend.score == leader.score
    assert blend.params["weights"] == [0.9, 0.1]  # the leader's largest weight on a tie
    assert blend.note == f"+0.0000 ± 0.0000 over {leader.model} (95 %)"
    chosen = tuning.best(servable_only=True)
    assert chosen is not None and chosen.model == leader.model
