"""Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and Volinsky,
ICDM 2008), from the ``implicit`` package: the baseline a shop could use instead of graphrec.

Each interaction is a positive whose weight (confidence) grows with ``alpha``; every other
pair a zero of weight 1. ``factors``, ``regularization``, ``alpha`` and ``iterations`` are
implicit's own settings; ``alpha`` matters most (2 gave validation recall@20 0.09 on Amazon
Beauty where 10 gave 0.12), so its default is 10 and the search tries it first. With
``weighted``, a pair counts with its strength (a rating's stars, a kind's weight: a purchase 5,
a view 1) rather than 1.

A new history changes a shopper's vector through implicit's ``partial_fit_users`` (one
least-squares solve against the fixed item vectors), so ALS is served like the embedding
models. It trains on the CPU (implicit's GPU build is not on PyPI).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender, TrainingRows


class ALS(Recommender):
    name = "als"

    def __init__(
        self,
        factors: int = 128,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        weighted: bool = False,
        seed: int = 0,
        **config: Any,
    ) -> None:
        if factors < 1 or iterations < 1:
            raise InvalidInput(
                f"als: factors and iterations must be >= 1, got {factors}, {iterations}"
            )
        if regularization < 0 or alpha <= 0:
            raise InvalidInput(
                f"als: regularization must be >= 0 and alpha > 0, got {regularization}, {alpha}"
            )
        super().__init__(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            weighted=weighted,
            seed=seed,
            **config,
        )
        self.device = torch.device("cpu")
        self.rows = TrainingRows(self.name, weighted)

    def use_snapshot(self, snapshot: Snapshot) -> None:
        self.rows.use_snapshot(snapshot)

    def _als(self) -> AlternatingLeastSquares:
        with threadpool_limits(1, "blas"):  # it checks BLAS's threads when made
            return AlternatingLeastSquares(
                factors=int(self.config["factors"]),
                regularization=float(self.config["regularization"]),
                alpha=float(self.config["alpha"]),
                iterations=int(self.config["iterations"]),
                random_state=int(self.config["seed"]),
            )

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        started = time.perf_counter()
        self.num_users, self.num_items = split.num_users, split.num_items
        self.model = self._als()
        with threadpool_limits(1, "blas"):  # implicit threads itself; BLAS's own pool fights it
            self.model.fit(self.rows(split.train), show_progress=False)
        return History(seconds=time.perf_counter() - started)

    def observe(self, history: sp.csr_matrix) -> None:
        """Every shopper's vector solved again from ``history`` (the item vectors stay)."""
        with threadpool_limits(1, "blas"):
            self.model.partial_fit_users(np.arange(history.shape[0]), self.rows(history))

    def user_vectors(self) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(self.model.user_factors[: self.num_users]))

    def item_vectors(self) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(self.model.item_factors[: self.num_items]))

    def user_scores(self, users: np.ndarray) -> Tensor:
        return self.user_vectors()[torch.from_numpy(users)] @ self.item_vectors().T

    def state(self) -> dict[str, np.ndarray]:
        return {
            "user_vectors": np.asarray(self.model.user_factors, dtype=np.float32),
            "item_vectors": np.asarray(self.model.item_factors, dtype=np.float32),
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.model = self._als()
        self.model.user_factors = state["user_vectors"]
        self.model.item_factors = state["item_vectors"]
        self.num_users, self.num_items = len(state["user_vectors"]), len(state["item_vectors"])
