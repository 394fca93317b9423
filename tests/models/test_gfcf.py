"""GF-CF and BSPM against the formulas they implement, written out densely on a small graph."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

from graphrec.errors import InvalidInput
from graphrec.models import BSPM, GFCF
from tests.models.planted import planted_split

USERS = np.arange(40)


def dense_filter(model: GFCF) -> np.ndarray:
    """P = R~^T R~ as a dense matrix."""
    norm = model.norm.toarray().astype(np.float64)
    return norm.T @ norm


def test_gfcf_is_the_linear_plus_ideal_low_pass_filter() -> None:
    split = planted_split()
    model = GFCF(dim=4, beta=0.3, item_exponent=0.5)
    model.fit(split)
    r = split.train.toarray().astype(np.float64)
    degree = r.sum(axis=0)
    v = model.components.astype(np.float64)
    ideal = (r * degree**-0.5) @ v.T @ v * degree**0.5
    expected = r @ dense_filter(model) + 0.3 * ideal
    assert np.allclose(model.user_scores(USERS).numpy(), expected, atol=1e-4)


def test_bspm_rk4_step_is_the_fourth_order_taylor_polynomial() -> None:
    split = planted_split()
    blurred = GFCF(dim=4, beta=0.2, item_exponent=0.5)
    blurred.fit(split)
    model = BSPM(dim=4, beta=0.2, sharpen_time=0.8, sharpen_steps=1, solver="rk4")
    model.fit(split)
    x = blurred.user_scores(USERS).numpy().astype(np.float64)
    hp = 0.8 * dense_filter(model)
    step = sum(np.linalg.matrix_power(-hp, j) / math.factorial(j) for j in range(5))
    assert np.allclose(model.user_scores(USERS).numpy(), x @ step, rtol=1e-4, atol=1e-4)


def test_bspm_solvers_converge_to_the_exact_backward_heat_flow() -> None:
    split = planted_split()
    blurred = GFCF(dim=4, beta=0.2, item_exponent=0.5)
    blurred.fit(split)
    x = blurred.user_scores(USERS).numpy().astype(np.float64)
    exact = x @ scipy.linalg.expm(-1.5 * dense_filter(blurred))  # x(T) for dx/dt = -x P
    scale = np.abs(exact).max()
    errors = {}
    for solver, steps in (("euler", 4), ("euler", 64), ("rk4", 2), ("rk4", 16)):
        model = BSPM(dim=4, beta=0.2, sharpen_time=1.5, sharpen_steps=steps, solver=solver)
        model.fit(split)
        errors[solver, steps] = np.abs(model.user_scores(USERS).numpy() - exact).max() / scale
    assert errors["rk4", 16] < 1e-4 < errors["rk4", 2]
    assert errors["euler", 64] < errors["euler", 4]
    assert errors["rk4", 2] < errors["euler", 4]


def test_bspm_bad_settings_are_named() -> None:
    with pytest.raises(InvalidInput, match="solver must be one of"):
        BSPM(solver="dopri5")
    with pytest.raises(InvalidInput, match="sharpen_steps must be >= 1"):
        BSPM(sharpen_steps=0)
    with pytest.raises(InvalidInput, match="sharpen_time must be >= 0"):
        BSPM(sharpen_time=-1)
    with pytest.raises(InvalidInput, match="bspm: item_exponent must be in 0..1, got 2"):
        BSPM(item_exponent=2)
