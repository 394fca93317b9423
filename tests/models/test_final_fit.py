"""The final fit on training and validation together, after the search."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from graphrec.graph.splits import Split
from graphrec.models import EASE, LightGCN
from graphrec.training.train import fit_final, folded
from graphrec.training.tuning import run_trial
from tests.models.test_lightgcn import untrained
from tests.models.test_tuning import communities_split


def without_validation(split: Split) -> Split:
    return replace(split, valid=sp.csr_matrix(split.valid.shape, dtype=np.float32))


def vectors(model: object) -> np.ndarray:
    assert isinstance(model, LightGCN)
    return model.embedding.detach().numpy().copy()


def test_without_validation_every_epoch_is_trained_and_the_last_kept() -> None:
    split = communities_split()
    settings = {"embedding_dim": 8, "epochs": 3, "lr": 0.5, "device": "cpu"}
    # evaluated at its last epoch only, so a validated fit keeps that epoch too
    validated = LightGCN(**settings, eval_every=3)  # type: ignore[arg-type]
    validated.fit(split)
    blind = LightGCN(**settings, eval_every=1, patience=1)  # type: ignore[arg-type]
    history = blind.fit(without_validation(split))
    assert [row["epoch"] for row in history.rows] == [1, 2, 3]
    assert all("valid_recall@20" not in row and row["loss"] > 0 for row in history.rows)
    assert history.best_epoch == 3 and history.stopped == ""  # patience needs validation
    np.testing.assert_array_equal(vectors(blind), vectors(validated))


def test_a_trial_records_its_best_epoch_and_the_final_fit_trains_that_many() -> None:
    split = communities_split()
    # as in test_lightgcn: the spectral start is perfect and a step this large loses some
    params = {"init": "svd", "embedding_dim": 8, "lr": 1.0, "epochs": 4, "eval_every": 1}
    trial = run_trial("lightgcn", {**params, "patience": 2, "time_budget_s": 60}, split, "cpu")
    assert trial.score == 1.0 and trial.epochs == 0
    model, final, history = fit_final(trial, split, None, device="cpu")
    # trained on training and validation together, for the best epochs (none: the start)
    assert final.train.nnz == split.train.nnz + split.valid.nnz and final.valid.nnz == 0
    assert history.best_epoch == 0 and history.rows == []
    assert model.config["epochs"] == 0 and model.config["time_budget_s"] is None
    np.testing.assert_allclose(
        vectors(model), vectors(untrained(final, init="svd", embedding_dim=8)), atol=1e-6
    )
    # two epochs best: two trained on everything
    _, _, history = fit_final(replace(trial, epochs=2), split, None, device="cpu")
    assert [row["epoch"] for row in history.rows] == [1, 2] and history.best_epoch == 2


def test_a_model_fitted_in_one_solve_records_no_epochs() -> None:
    split = communities_split()
    trial = run_trial("ease", {"l2": 10.0}, split, "cpu")
    assert trial.score is not None and trial.epochs is None
    model, _, _ = fit_final(trial, split, None, device="cpu")
    direct = EASE(l2=10.0)
    direct.fit(folded(split))
    users = np.arange(split.num_users)
    np.testing.assert_allclose(model.user_scores(users), direct.user_scores(users), atol=1e-5)
