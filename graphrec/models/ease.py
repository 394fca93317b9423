r"""EASE^R: a shallow autoencoder in closed form (Steck, WWW 2019,
https://arxiv.org/abs/1905.03375).

The item-item weight matrix :math:`B` minimises :math:`\lVert X - XB \rVert^2 + \lambda
\lVert B \rVert^2` with a zero diagonal (no item may predict itself):

.. math::
    P = (X^\top X + \lambda I)^{-1}, \qquad B_{ij} = -P_{ij} / P_{jj}, \quad B_{jj} = 0

and a user's scores are :math:`x_u B`. :math:`X` holds 1 per pair, or with ``weighted`` each
pair's strength (a rating's stars, a kind's weight). With ``recency_half_life`` :math:`h`, the
row :math:`x_u` a shopper is answered from weighs their items by recency, the newest 1 and the
one :math:`h` items older 1/2 (training is unchanged): on a temporal split the items had last
say most about the next. "Fitting" is one inversion of an items x
items matrix: its cost grows with the cube of the catalogue (12k items: about 15 s on two CPU
cores, seconds on a GPU) and its memory with the square (4 bytes per pair, twice over while
inverting), so catalogues above ``max_items`` are refused with the reason. ``l2`` (the paper's
:math:`\lambda`) is the one setting; the paper used 200 to 1,000, and tuning picks it per shop.

The state kept is the training matrix (and the histories answered from): :math:`B` (items
squared floats) is solved again when a version is loaded. Serving sums each item's 50
strongest weights over a shopper's items (:meth:`serving_parts`): a rank-512 factorisation of
:math:`B` lost 15 % of recall on Amazon Beauty, the 50 strongest nothing. ``similar_items``
reads the rows of :math:`B`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender, TrainingRows
from graphrec.models.serving_parts import (
    ServingParts,
    item_coordinates,
    strongest_per_row,
    width_for,
)


class EASE(Recommender):
    name = "ease"

    def __init__(
        self,
        l2: float = 500.0,
        weighted: bool = False,
        recency_half_life: float = 0.0,
        max_items: int = 30_000,
        **config: Any,
    ) -> None:
        if l2 <= 0:
            raise InvalidInput(f"ease: l2 must be > 0, got {l2}")
        super().__init__(
            l2=l2,
            weighted=weighted,
            recency_half_life=recency_half_life,
            max_items=max_items,
            **config,
        )
        self.rows = TrainingRows(self.name, weighted, recency_half_life)

    def use_snapshot(self, snapshot: Snapshot) -> None:
        self.rows.use_snapshot(snapshot)

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        started = time.perf_counter()
        self.num_users, self.num_items = split.num_users, split.num_items
        self.train = self.rows(split.train)
        self.weights = self._solve(self.train)
        self.observe(split.train)
        return History(seconds=time.perf_counter() - started)

    def _solve(self, train: sp.csr_matrix) -> Tensor:
        """:math:`B` for this training matrix, on the model's device."""
        items = train.shape[1]
        if items > int(self.config["max_items"]):
            raise InvalidInput(
                f"ease: {items:,} items is more than max_items={self.config['max_items']:,}; "
                f"its items x items matrix would take {2 * 4 * items**2 / 2**30:.1f} GiB to "
                "invert (raise max_items where there is the memory)"
            )
        gram = torch.from_numpy((train.T @ train).toarray()).to(self.device)
        gram.diagonal().add_(float(self.config["l2"]))
        factor = torch.linalg.cholesky(gram)  # the Gram matrix plus l2 is positive definite
        del gram
        precision = torch.cholesky_inverse(factor)
        del factor
        weights = precision / (-precision.diagonal())
        weights.fill_diagonal_(0.0)
        return weights

    def observe(self, history: sp.csr_matrix) -> None:
        self.ratings = self.rows.answering(history)

    def user_scores(self, users: np.ndarray) -> Tensor:
        rows = self.ratings[users].tocoo()
        index = torch.from_numpy(np.stack([rows.row, rows.col]).astype(np.int64))
        sparse = torch.sparse_coo_tensor(
            index, torch.from_numpy(rows.data), (len(users), self.num_items), check_invariants=False
        ).to(self.device)
        return torch.sparse.mm(sparse, self.weights)

    @torch.no_grad()
    def similar_items(self, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The items whose weight from each item is largest (``B`` is not symmetric: these are
        the items a shopper of this one is most expected to have too)."""
        rows = self.weights[torch.from_numpy(items).to(self.device)].clone()
        rows[torch.arange(len(items)), torch.from_numpy(items).to(self.device)] = float("-inf")
        top = rows.topk(min(k, self.num_items - 1), dim=1)
        return top.indices.cpu().numpy(), top.values.cpu().numpy()

    @torch.no_grad()
    def serving_parts(self) -> ServingParts:
        """Each item's ``width_for`` strongest weights in ``B``; item vectors from the training
        matrix (:func:`item_coordinates`) for similar items and diversity, users none."""
        neighbours = strongest_per_row(
            lambda rows: self.weights[torch.from_numpy(rows).to(self.device)].cpu().numpy(),
            self.num_items,
            width_for(self.num_items),
        )
        items = item_coordinates(self.train)
        return ServingParts(
            items,
            np.zeros((self.num_users, items.shape[1]), dtype=np.float32),
            neighbours,
            float(self.config["recency_half_life"]),
        )

    def state(self) -> dict[str, np.ndarray]:
        """The histories answered from and the training matrix ``B`` is solved from."""
        r, t = self.ratings, self.train
        return {
            "indptr": r.indptr,
            "indices": r.indices,
            "data": r.data,
            "train_indptr": t.indptr,
            "train_indices": t.indices,
            "train_data": t.data,
            "shape": np.array(r.shape),
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        users, items = (int(v) for v in state["shape"])
        self.num_users, self.num_items = users, items
        shape = (users, items)
        self.train = sp.csr_matrix(
            (state["train_data"], state["train_indices"], state["train_indptr"]), shape=shape
        )
        self.weights = self._solve(self.train)
        self.ratings = sp.csr_matrix((state["data"], state["indices"], state["indptr"]), shape)
