"""Baselines in the same harness: popularity and ItemKNN (co-occurrence cosine)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender, TrainingRows
from graphrec.models.serving_parts import ServingParts, item_coordinates


class Popularity(Recommender):
    """Every user gets the items with the most training interactions: the control to beat."""

    name = "pop"

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        started = time.perf_counter()
        self.num_users, self.num_items = split.num_users, split.num_items
        self.popularity = torch.from_numpy(
            np.asarray(split.train.sum(axis=0)).ravel().astype(np.float32)
        ).to(self.device)
        return History(seconds=time.perf_counter() - started)

    def user_scores(self, users: np.ndarray) -> Tensor:
        return self.popularity.expand(len(users), -1).clone()

    def state(self) -> dict[str, np.ndarray]:
        return {"popularity": self.popularity.cpu().numpy()}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.popularity = torch.from_numpy(state["popularity"]).to(self.device)
        self.num_items = len(self.popularity)


class Random(Recommender):
    """Uniformly random scores, fixed per (user, item) by the seed: the floor of any ranking."""

    name = "random"

    def __init__(self, seed: int = 0, **config: Any) -> None:
        super().__init__(seed=seed, **config)

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        self.num_users, self.num_items = split.num_users, split.num_items
        return History()

    def user_scores(self, users: np.ndarray) -> Tensor:
        rows = []
        for user in users:
            generator = torch.Generator().manual_seed(
                int(self.config["seed"]) * 1_000_003 + int(user)
            )
            rows.append(torch.rand(self.num_items, generator=generator))
        return torch.stack(rows).to(self.device)

    def state(self) -> dict[str, np.ndarray]:
        return {"shape": np.array([self.num_users, self.num_items])}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.num_users, self.num_items = (int(v) for v in state["shape"])


class ItemKNN(Recommender):
    """Item-based neighbours (Sarwar et al., 2001): score(u, i) = sum over u's items j of
    cos(i, j), keeping each item's ``neighbours`` most similar items (cosine of co-occurrence);
    with ``recency_half_life``, u's items weighed by recency (see :class:`TrainingRows`)."""

    name = "itemknn"

    def __init__(
        self,
        neighbours: int = 100,
        shrink: float = 10.0,
        recency_half_life: float = 0.0,
        **config: Any,
    ) -> None:
        super().__init__(
            neighbours=neighbours, shrink=shrink, recency_half_life=recency_half_life, **config
        )
        self.rows = TrainingRows(self.name, False, recency_half_life)

    def use_snapshot(self, snapshot: Snapshot) -> None:
        self.rows.use_snapshot(snapshot)

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        started = time.perf_counter()
        self.num_users, self.num_items = split.num_users, split.num_items
        train = split.train
        counts = np.asarray(train.sum(axis=0)).ravel()
        together = (train.T @ train).tocsr()
        together.setdiag(0)
        together.eliminate_zeros()
        coo = together.tocoo()
        norm = np.sqrt(counts[coo.row] * counts[coo.col]) + self.config["shrink"]
        sims = sp.csr_matrix((coo.data / norm, (coo.row, coo.col)), shape=together.shape)
        self.similarity = _keep_top(sims, int(self.config["neighbours"]))
        self.observe(train)
        return History(seconds=time.perf_counter() - started)

    def observe(self, history: sp.csr_matrix) -> None:
        self.train = self.rows.answering(history)

    def user_scores(self, users: np.ndarray) -> Tensor:
        scores = (self.train[users] @ self.similarity).toarray().astype(np.float32)
        return torch.from_numpy(scores).to(self.device)

    def serving_parts(self) -> ServingParts:
        """The similarities as they are (each item's ``neighbours``); item vectors from the
        training matrix for diversity and the session signal, users none."""
        items = item_coordinates(self.train)
        return ServingParts.from_items(
            items,
            self.num_users,
            self.similarity.astype(np.float32),
            float(self.config["recency_half_life"]),
        )

    def similar_items(self, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        dense = self.similarity[items].toarray()
        dense[np.arange(len(items)), items] = -np.inf
        top = np.argsort(-dense, axis=1, kind="stable")[:, :k]
        return top, np.take_along_axis(dense, top, axis=1)

    def state(self) -> dict[str, np.ndarray]:
        s, t = self.similarity, self.train
        return {
            "sim_indptr": s.indptr,
            "sim_indices": s.indices,
            "sim_data": s.data,
            "train_indptr": t.indptr,
            "train_indices": t.indices,
            "train_data": t.data,
            "shape": np.array([t.shape[0], t.shape[1]]),
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        users, items = (int(v) for v in state["shape"])
        self.num_users, self.num_items = users, items
        self.similarity = sp.csr_matrix(
            (state["sim_data"], state["sim_indices"], state["sim_indptr"]), shape=(items, items)
        )
        self.train = sp.csr_matrix(
            (
                state["train_data"]
                if "train_data" in state
                else np.ones(len(state["train_indices"]), np.float32),
                state["train_indices"],
                state["train_indptr"],
            ),
            shape=(users, items),
        )


def _keep_top(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of each row."""
    rows, cols, vals = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if end == start:
            continue
        data, index = matrix.data[start:end], matrix.indices[start:end]
        keep = np.argpartition(-data, k)[:k] if len(data) > k else slice(None)
        rows.append(np.full(len(data[keep]), row))
        cols.append(index[keep])
        vals.append(data[keep])
    if not rows:
        return sp.csr_matrix(matrix.shape, dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
        shape=matrix.shape,
    )
