"""Tuning: the coordinate search's order, models taking turns, a trial that cannot run, the
budget, and the best trial."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

import graphrec.training.tuning as tuning_module
from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import Split
from graphrec.store import GraphBatch, GraphStore
from graphrec.store.base import empty_table
from graphrec.training.tuning import coordinate_search, tune
from tests.graphs import interactions_table, shop_batch
from tests.models.planted import planted_split


def communities_split(users: int = 120, communities: int = 4, size: int = 15) -> Split:
    """Each shopper has 8 items of their community (6 train, 1 validation, 1 test): 60 items,
    so that popularity's top 20 misses most validation items and a model of the communities
    does not."""
    rng = np.random.default_rng(0)
    parts: dict[str, list[tuple[int, int]]] = {"train": [], "valid": [], "test": []}
    for user in range(users):
        start = (user % communities) * size
        items = rng.permutation(np.arange(start, start + size))[:8]
        parts["train"] += [(user, int(i)) for i in items[:6]]
        parts["valid"].append((user, int(items[6])))
        parts["test"].append((user, int(items[7])))

    def matrix(pairs: list[tuple[int, int]]) -> sp.csr_matrix:
        rows, cols = zip(*pairs, strict=True)
        shape = (users, communities * size)
        return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)

    return Split("given", matrix(parts["train"]), matrix(parts["valid"]), matrix(parts["test"]))


def test_coordinate_search_keeps_a_value_only_when_it_scores_better() -> None:
    search = coordinate_search({"a": [1, 2], "b": [3, 4]})
    assert next(search) == {}
    assert search.send(0.5) == {"a": 1}
    assert search.send(0.7) == {"a": 2}  # a=1 kept for now (0.7 > 0.5)
    assert search.send(0.6) == {"a": 1, "b": 3}  # a=2 did worse: a=1 stays
    assert search.send(0.9) == {"a": 1, "b": 4}
    # a second pass: a again with b=4 (settings interact); nothing is tried twice
    assert search.send(0.95) == {"a": 2, "b": 4}
    with pytest.raises(StopIteration):
        search.send(0.1)


def test_a_search_starts_from_its_start_and_leaves_out_what_needs_the_snapshot() -> None:
    search = coordinate_search({"a": [1, 2]}, start={"a": 3, "b": 0})
    assert next(search) == {"a": 3, "b": 0}
    assert search.send(0.5) == {"a": 1, "b": 0}
    with_snapshot = tuning_module.search_of("ease")
    assert next(with_snapshot) == {"recency_half_life": 8.0}
    assert with_snapshot.send(0.1) == {"recency_half_life": 0.0}  # then without it
    without = tuning_module.search_of("ease", informed=())
    assert next(without) == {}
    tried = [without.send(0.1) for _ in range(6)]
    assert all(set(params) == {"l2"} for params in tried)  # no recency, no weights


def test_models_take_turns_and_the_best_trial_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tuning_module.SEARCH_SPACES, "ease", {"l2": [-1.0, 5.0]})
    monkeypatch.setitem(tuning_module.SEARCH_SPACES, "itemknn", {"neighbours": [5]})
    split = communities_split()
    result = tune(split, ["pop", "itemknn", "ease"], budget_seconds=300, device="cpu")
    order = [(t.model, t.params) for t in result.trials]
    assert order == [
        ("pop", {}),
        ("itemknn", {}),
        ("ease", {}),
        ("itemknn", {"neighbours": 5}),
        ("ease", {"l2": -1.0}),  # cannot run: ease's search ends there
    ]
    failed = result.trials[-1]
    assert failed.score is None and "l2 must be > 0" in failed.error
    assert result.ended == "searched"
    best = result.best()
    assert best is not None and best.model in ("itemknn", "ease")
    pop = result.best("pop")
    assert pop is not None and pop.score is not None and best.score is not None
    assert best.score > pop.score
    servable = result.best(servable_only=True)  # popularity is not served; the others are
    assert servable is not None and servable.model in ("itemknn", "ease")
    only_pop = tune(split, ["pop"], budget_seconds=300, device="cpu")
    assert only_pop.best() is not None and only_pop.best(servable_only=True) is None
    rows = result.table()
    assert [r["model"] for r in rows][-1] == "pop"
    assert next(r for r in rows if r["model"] == "ease")["error"].startswith("ease: l2")


def test_a_spent_budget_stops_the_search() -> None:
    result = tune(planted_split(), ["pop", "itemknn"], budget_seconds=1e-9, device="cpu")
    assert result.ended == "budget" and result.trials == []


def test_unknown_candidates_are_named() -> None:
    with pytest.raises(InvalidInput, match="cannot tune deepfm; tunable models: ease"):
        tune(planted_split(), ["pop", "deepfm"], budget_seconds=10)


def test_ctrl_c_ends_the_search_with_what_it_has() -> None:
    heard: list[str] = []

    def interrupt_at_the_second(trial: tuning_module.Trial, spent: float) -> None:
        heard.append(trial.model)
        if len(heard) == 2:
            raise KeyboardInterrupt

    result = tune(
        communities_split(),
        ["pop", "itemknn", "ease"],
        budget_seconds=300,
        device="cpu",
        on_trial=interrupt_at_the_second,
    )
    assert result.ended == "interrupted" and heard == ["pop", "itemknn"]
    best = result.best()
    assert best is not None and best.model == "itemknn"  # the best of the two it ran


def test_a_trial_that_trains_epoch_by_epoch_stops_with_the_budget() -> None:
    capped = tuning_module.capped
    assert capped("lightgcn", {"embedding_dim": 8}, 42.4) == {
        "embedding_dim": 8,
        "time_budget_s": 42,
    }
    assert capped("lightgcn", {}, -5.0) == {"time_budget_s": 1}  # at least one evaluation
    assert capped("lightgcn", {"time_budget_s": 10}, 42.0) == {"time_budget_s": 10}
    assert capped("ease", {"l2": 1.0}, 42.0) == {"l2": 1.0}  # one solve: it runs to its end


@pytest.mark.parametrize(
    ("times", "weights", "informed"),
    [
        ([10, 20, 30, 40], [5.0, 1.0, 5.0, 1.0], ("recency_half_life", "weighted")),
        ([0, 0, 0, 0], [1.0, 1.0, 1.0, 1.0], ()),  # check-ins: no times, one kind
        ([0, 0, 0, 0], [4.0, 2.0, 4.0, 4.0], ("weighted",)),
    ],
)
def test_the_search_leaves_out_what_the_data_cannot_inform(
    embedded: GraphStore, times: list[int], weights: list[float], informed: tuple[str, ...]
) -> None:
    embedded.write(replace(shop_batch(), interactions=empty_table("interactions")))  # catalogue
    rows = [
        (user, item, "rating", weight, None, ts)
        for (user, item), weight, ts in zip(
            [("ann", "serum"), ("ann", "cream"), ("bob", "serum"), ("bob", "lipstick")],
            weights,
            times,
            strict=True,
        )
    ]
    embedded.write(
        GraphBatch(users=pa.table({"id": ["ann", "bob"]}), interactions=interactions_table(rows))
    )
    assert tuning_module.informative_settings(export_snapshot(embedded)) == informed
    assert tuning_module.informative_settings(None) == ()


def test_ease_is_a_default_candidate_up_to_its_max_items_only() -> None:
    assert "ease" in tuning_module.default_candidates(30_000)
    above = tuning_module.default_candidates(30_001)
    assert "ease" not in above and above == [c for c in tuning_module.CANDIDATES if c != "ease"]


def test_mf_is_searched_as_lightgcn_without_its_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    lightgcn = next(tuning_module.search_of("lightgcn"))
    start = next(tuning_module.search_of("mf"))
    # the same start and the same training as LightGCN's: only the layers differ
    assert {k: start[k] for k in lightgcn} == lightgcn
    assert start["loss"] == "softmax" and start["lr"] == 2e-3
    monkeypatch.setitem(tuning_module.SEARCH_SPACES, "mf", {"embedding_dim": [16]})
    monkeypatch.setitem(
        tuning_module.SEARCH_STARTS, "mf", {**start, "embedding_dim": 8, "epochs": 2}
    )
    result = tune(communities_split(), ["mf"], budget_seconds=600, device="cpu")
    assert [t.params["embedding_dim"] for t in result.trials] == [8, 16]
    assert all(t.score is not None and t.score > 0.5 for t in result.trials)  # pop: about 0.3


def test_sage_needs_the_snapshot_and_says_so() -> None:
    start = next(tuning_module.search_of("sage"))
    assert start["users_from_items"] is True
    result = tune(communities_split(), ["sage", "pop"], budget_seconds=600, device="cpu")
    sage = [t for t in result.trials if t.model == "sage"]
    assert len(sage) == 1 and sage[0].score is None  # one trial: it cannot run here
    assert "sage needs the snapshot's item content" in (sage[0].error or "")
    best = result.best()
    assert best is not None and best.model == "pop"
