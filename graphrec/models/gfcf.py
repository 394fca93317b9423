r"""GF-CF: LightGCN's propagation taken to its closed form (Shen et al., CIKM 2021,
https://arxiv.org/abs/2110.07939).

With :math:`\tilde{R} = D_U^{-b} R D_I^{-a}` the normalised user-item matrix (``user_exponent``
:math:`b` and ``item_exponent`` :math:`a`, both 1/2 in the paper), LightGCN's
layers are a low-pass filter on the item-item graph :math:`\tilde{R}^\top \tilde{R}`; training
the embeddings only learns how to weigh its frequencies. GF-CF applies the filter directly:

.. math::
    s_u = r_u \tilde{R}^\top \tilde{R}
          + \gamma \, r_u (\tilde{R}^\top \tilde{R})^2
          + \beta \, r_u D_I^{-a} V_k V_k^\top D_I^{a}

a linear filter, an optional second-order term, and the ideal low-pass filter made of the top
``dim`` right singular vectors :math:`V_k` of :math:`\tilde{R}`. No gradient steps: "fitting"
is one truncated SVD (ARPACK), and a new event changes the next answer through :meth:`observe`.
Defaults (beta 0.2, dim 256, gamma 0, item exponent 0.4) were chosen on Gowalla's validation
carve, never on a test set; the paper's are beta 0.3 and exponent 0.5. What each setting gave is
in benchmarks/train/README.md.

With ``recency_half_life`` :math:`h`, :math:`r_u` weighs the shopper's items by recency (the
newest 1, the one :math:`h` items older 1/2); the filter itself is built from 1 per pair.

Embeddings for serving and SIMILAR_TO are the low-pass part's factors:
users :math:`r_u D_I^{-a} V_k`, items :math:`V_k^\top D_I^{a}`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import svds
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender, TrainingRows
from graphrec.models.lightgcn import to_torch_csr
from graphrec.models.serving_parts import ServingParts, strongest_per_row, width_for

CPU = torch.device("cpu")


class GFCF(Recommender):
    name = "gfcf"

    def __init__(
        self,
        beta: float = 0.2,
        dim: int = 256,
        gamma: float = 0.0,
        item_exponent: float = 0.4,
        user_exponent: float = 0.5,
        recency_half_life: float = 0.0,
        seed: int = 0,
        **config: Any,
    ) -> None:
        if dim < 1:
            raise InvalidInput(f"{self.name}: dim must be >= 1, got {dim}")
        if beta < 0:
            raise InvalidInput(f"{self.name}: beta must be >= 0, got {beta}")
        for name, value in (("item_exponent", item_exponent), ("user_exponent", user_exponent)):
            if not 0 <= value <= 1:
                raise InvalidInput(f"{self.name}: {name} must be in 0..1, got {value}")
        super().__init__(
            beta=beta,
            dim=dim,
            gamma=gamma,
            item_exponent=item_exponent,
            user_exponent=user_exponent,
            recency_half_life=recency_half_life,
            seed=seed,
            **config,
        )
        self.rows = TrainingRows(self.name, False, recency_half_life)

    def use_snapshot(self, snapshot: Snapshot) -> None:
        self.rows.use_snapshot(snapshot)

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        started = time.perf_counter()
        self.num_users, self.num_items = split.num_users, split.num_items
        self.observe(split.train)
        return History(seconds=time.perf_counter() - started)

    def observe(self, history: sp.csr_matrix) -> None:
        ratings = sp.csr_matrix(history, dtype=np.float32)
        ratings.data[:] = 1.0
        self.ratings = ratings
        self.answering = self.rows.answering(ratings)  # the rows scores start from
        user_degree = np.asarray(ratings.sum(axis=1)).ravel()
        item_degree = np.asarray(ratings.sum(axis=0)).ravel()
        exponent = float(self.config["item_exponent"])
        self.item_inv_sqrt = np.where(item_degree > 0, np.maximum(item_degree, 1) ** -exponent, 0.0)
        self.item_sqrt = np.where(item_degree > 0, np.maximum(item_degree, 1) ** exponent, 0.0)
        user_exponent = float(self.config["user_exponent"])
        user_inv_sqrt = np.where(user_degree > 0, np.maximum(user_degree, 1) ** -user_exponent, 0.0)
        normalised = sp.diags(user_inv_sqrt) @ ratings @ sp.diags(self.item_inv_sqrt)
        self.norm = normalised.tocsr().astype(np.float32)
        self.norm_t = self.norm.T.tocsr()
        self.components = self._low_pass(self.norm)

    def _low_pass(self, matrix: sp.csr_matrix) -> np.ndarray:
        """Top ``dim`` right singular vectors, ``[dim, items]``."""
        if float(self.config["beta"]) == 0:
            return np.zeros((0, matrix.shape[1]), dtype=np.float32)
        dim = min(int(self.config["dim"]), min(matrix.shape) - 1)
        if dim < 1:
            return np.zeros((0, matrix.shape[1]), dtype=np.float32)
        _, values, vt = svds(
            matrix.astype(np.float64), k=dim, random_state=int(self.config["seed"])
        )
        order = np.argsort(-values)
        return np.ascontiguousarray(vt[order], dtype=np.float32)

    def _filter(self, signal: np.ndarray) -> np.ndarray:
        """``signal @ R~^T R~`` for dense rows, through the sparse factors."""
        return np.ascontiguousarray((self.norm_t @ (self.norm @ signal.T)).T)

    def linear_scores(self, users: np.ndarray) -> np.ndarray:
        """``r_u R~^T R~`` for these users, dense ``[users, items]``."""
        return self._linear(self.answering[users])

    def ideal_scores(self, users: np.ndarray) -> np.ndarray:
        """The ideal low-pass filter ``r_u D^-a V_k V_k^T D^a`` (before ``beta``)."""
        return self._ideal(self.answering[users])

    def _linear(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(((rows @ self.norm_t) @ self.norm).todense(), dtype=np.float32)

    def _ideal(self, rows: sp.csr_matrix) -> np.ndarray:
        low = self._factors(rows) @ self.components
        return np.asarray(low * self.item_sqrt, dtype=np.float32)

    def _factors(self, rows: sp.csr_matrix) -> np.ndarray:
        """Users' coordinates on the low-pass basis: ``r_u D^-a V_k``."""
        return np.asarray(rows.multiply(self.item_inv_sqrt).tocsr() @ self.components.T)

    def scores_of(self, rows: sp.csr_matrix) -> Tensor:
        """The scores of these (weighed) item rows, dense ``[rows, items]``."""
        scores = self._linear(rows)
        gamma = float(self.config["gamma"])
        if gamma:
            scores += gamma * self._filter(scores)
        beta = float(self.config["beta"])
        if beta and len(self.components):
            scores += beta * self._ideal(rows)
        return torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32))

    def user_scores(self, users: np.ndarray) -> Tensor:
        return self.scores_of(self.answering[users])

    def serving_parts(self) -> ServingParts:
        """The linear filter's rows (its ``width_for`` strongest per item; with ``gamma``, the
        second-order term is not served) and the low-pass factors, users' scaled by
        ``beta``."""
        neighbours = strongest_per_row(
            lambda rows: (self.norm_t[rows] @ self.norm).toarray(),
            self.num_items,
            width_for(self.num_items),
        )
        users = float(self.config["beta"]) * self.user_vectors().numpy()
        return ServingParts(
            self.item_vectors().numpy(),
            np.ascontiguousarray(users, dtype=np.float32),
            neighbours,
            float(self.config["recency_half_life"]),
        )

    def user_vectors(self) -> Tensor:
        return torch.from_numpy(np.asarray(self._factors(self.answering), dtype=np.float32))

    def item_vectors(self) -> Tensor:
        return torch.from_numpy(
            np.ascontiguousarray((self.components * self.item_sqrt).T, dtype=np.float32)
        )

    def state(self) -> dict[str, np.ndarray]:
        r = self.ratings
        return {
            "indptr": r.indptr,
            "indices": r.indices,
            "shape": np.array(r.shape),
            "components": self.components,
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        users, items = (int(v) for v in state["shape"])
        ratings = sp.csr_matrix(
            (np.ones(len(state["indices"]), np.float32), state["indices"], state["indptr"]),
            shape=(users, items),
        )
        components = state["components"]
        self.num_users, self.num_items = users, items
        self.observe_without_svd(ratings, components)

    def observe_without_svd(self, ratings: sp.csr_matrix, components: np.ndarray) -> None:
        low_pass = self._low_pass
        self._low_pass = lambda matrix: components  # type: ignore[method-assign]
        try:
            self.observe(ratings)
        finally:
            self._low_pass = low_pass  # type: ignore[method-assign]


class BSPM(GFCF):
    r"""Blurring-sharpening process model (Choi et al., SIGIR 2023,
    https://arxiv.org/abs/2211.09324): GF-CF's filtered signal, then sharpened.

    GF-CF's score :math:`x = r P + \beta\, r P_{ideal}` (with :math:`P = \tilde{R}^\top
    \tilde{R}`) is the *blurred* interaction signal. Sharpening runs the heat equation backwards,
    :math:`dx/dt = -x P`, for ``sharpen_time`` in ``sharpen_steps`` steps of the classical
    Runge-Kutta method (``solver="rk4"``) or Euler's; for this linear equation one RK4 step of
    size :math:`h` multiplies by :math:`\sum_{j \le 4} (-hP)^j / j!`. Sharpening undoes part of
    the filter's over-smoothing. Adding the ideal low-pass term before sharpening is the
    paper's "early merge" (BSPM-EM).

    Defaults: the paper's Gowalla setting (beta 0.2, 448 singular vectors, exponent 1/2, one
    RK4 step) except the sharpening time, 2.0 rather than 2.5, which a grid on Gowalla's
    validation carve chose; the paper's setting reproduces its published figures here. What
    each gave is in benchmarks/train/README.md. Each sharpening step costs four products with
    the item-item filter, so scoring costs about five times GF-CF's; serving and SIMILAR_TO use
    the same low-pass factors as GF-CF.
    """

    name = "bspm"

    def __init__(
        self,
        beta: float = 0.2,
        dim: int = 448,
        item_exponent: float = 0.5,
        sharpen_time: float = 2.0,
        sharpen_steps: int = 1,
        solver: str = "rk4",
        **config: Any,
    ) -> None:
        if sharpen_time < 0:
            raise InvalidInput(f"bspm: sharpen_time must be >= 0, got {sharpen_time}")
        if sharpen_steps < 1:
            raise InvalidInput(f"bspm: sharpen_steps must be >= 1, got {sharpen_steps}")
        if solver not in SOLVERS:
            raise InvalidInput(f"bspm: solver must be one of {sorted(SOLVERS)}, got {solver!r}")
        super().__init__(
            beta=beta,
            dim=dim,
            item_exponent=item_exponent,
            sharpen_time=sharpen_time,
            sharpen_steps=sharpen_steps,
            solver=solver,
            **config,
        )

    def observe(self, history: sp.csr_matrix) -> None:
        super().observe(history)
        self._norm_csr = to_torch_csr(self.norm, CPU)
        self._norm_t_csr = to_torch_csr(self.norm_t, CPU)

    def _propagate(self, signal: Tensor) -> Tensor:
        """``signal @ R~^T R~`` for dense rows ``[batch, items]``, in torch (threaded)."""
        users = torch.sparse.mm(self._norm_csr, signal.T.contiguous())
        return torch.sparse.mm(self._norm_t_csr, users).T.contiguous()

    def scores_of(self, rows: sp.csr_matrix) -> Tensor:
        signal = super().scores_of(rows)
        steps = int(self.config["sharpen_steps"])
        h = float(self.config["sharpen_time"]) / steps
        if h == 0:
            return signal
        order = SOLVERS[str(self.config["solver"])]
        for _ in range(steps):
            total, term = signal.clone(), signal
            for j in range(1, order + 1):
                term = self._propagate(term) * (-h / j)
                total += term
            signal = total
        return signal

    def serving_parts(self) -> ServingParts:
        """The whole filter, sharpening included, as each item's ``width_for`` strongest weights
        (the response to a shopper with that one item); the low-pass factors as item
        vectors."""
        count = self.num_items

        def rows_of(items: np.ndarray) -> np.ndarray:
            unit = sp.csr_matrix(
                (np.ones(len(items), np.float32), (np.arange(len(items)), items)),
                shape=(len(items), count),
            )
            return self.scores_of(unit).numpy()

        neighbours = strongest_per_row(rows_of, count, width_for(count))
        users = np.zeros((self.num_users, len(self.components) or 1), dtype=np.float32)
        items = self.item_vectors().numpy() if len(self.components) else np.zeros((count, 1))
        return ServingParts(
            np.asarray(items, dtype=np.float32),
            users,
            neighbours,
            float(self.config["recency_half_life"]),
        )


#: Order of the Taylor polynomial one step of each solver amounts to for ``dx/dt = -x P``.
SOLVERS = {"euler": 1, "rk4": 4}
