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
inverting). Above ``max_items`` (or with ``neighbours`` set), each column of :math:`B` is
solved over the ``neighbours`` items most often chosen with its item (200 by default), a ridge
regression of a few hundred unknowns per item on the sparse Gram matrix: the cost grows with
the catalogue, not its cube, and :math:`B` is kept sparse. ``l2`` (the paper's
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
import scipy.linalg
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

#: Above this many items, the items x items inverse (12.5 GiB at 40,981) is not made: each
#: item's weights are solved over its neighbours instead.
MAX_ITEMS = 30_000


class EASE(Recommender):
    name = "ease"

    def __init__(
        self,
        l2: float = 500.0,
        weighted: bool = False,
        recency_half_life: float = 0.0,
        max_items: int = MAX_ITEMS,
        neighbours: int = 0,
        **config: Any,
    ) -> None:
        if l2 <= 0:
            raise InvalidInput(f"ease: l2 must be > 0, got {l2}")
        if neighbours < 0:
            raise InvalidInput(f"ease: neighbours must be >= 0, got {neighbours}")
        super().__init__(
            l2=l2,
            weighted=weighted,
            recency_half_life=recency_half_life,
            max_items=max_items,
            neighbours=neighbours,
            **config,
        )
        #: B when solved per item over its neighbours (sparse), else None (``weights``, dense)
        self.local: sp.csr_matrix | None = None
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
        """:math:`B` for this training matrix, on the model's device (empty when it is solved
        per item over its neighbours, kept sparse in ``local``)."""
        items = train.shape[1]
        width = int(self.config["neighbours"])
        if width or items > int(self.config["max_items"]):
            self.local = local_weights(train, float(self.config["l2"]), width or NEIGHBOURS)
            return torch.zeros(0)
        self.local = None
        gram = torch.from_numpy((train.T @ train).toarray()).to(self.device)
        gram.diagonal().add_(float(self.config["l2"]))
        factor = torch.linalg.cholesky(gram)  # the Gram matrix plus l2 is positive definite
        del gram
        precision = torch.cholesky_inverse(factor)
        del factor
        weights = precision / (-precision.diagonal())
        weights.fill_diagonal_(0.0)
        return weights

    def _rows(self, items: np.ndarray) -> np.ndarray:
        """Rows of :math:`B` (float32), dense."""
        if self.local is not None:
            return self.local[items].toarray().astype(np.float32)
        return self.weights[torch.from_numpy(items).to(self.device)].cpu().numpy()

    def observe(self, history: sp.csr_matrix) -> None:
        self.ratings = self.rows.answering(history)

    def user_scores(self, users: np.ndarray) -> Tensor:
        if self.local is not None:
            scores = (self.ratings[users] @ self.local).toarray().astype(np.float32)
            return torch.from_numpy(scores).to(self.device)
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
        rows = torch.from_numpy(self._rows(items)).to(self.device)
        rows[torch.arange(len(items)), torch.from_numpy(items).to(self.device)] = float("-inf")
        top = rows.topk(min(k, self.num_items - 1), dim=1)
        return top.indices.cpu().numpy(), top.values.cpu().numpy()

    @torch.no_grad()
    def serving_parts(self) -> ServingParts:
        """Each item's ``width_for`` strongest weights in ``B``; item vectors from the training
        matrix (:func:`item_coordinates`) for similar items and diversity, users none."""
        neighbours = strongest_per_row(self._rows, self.num_items, width_for(self.num_items))
        items = item_coordinates(self.train)
        return ServingParts.from_items(
            items, self.num_users, neighbours, float(self.config["recency_half_life"])
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


#: The neighbours each item's weights are solved over, above ``max_items``.
NEIGHBOURS = 200


def local_weights(train: sp.csr_matrix, l2: float, width: int) -> sp.csr_matrix:
    r""":math:`B` solved column by column: item :math:`j`'s weights from the ``width`` items
    most often chosen with it, :math:`(G_{NN} + \lambda I)^{-1} G_{Nj}` (EASE's regression
    of :math:`j` on the others, restricted to its neighbours :math:`N`); sparse."""
    gram = (train.T @ train).tocsr().astype(np.float64)
    gram.sort_indices()
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for j in range(gram.shape[0]):
        start, end = gram.indptr[j], gram.indptr[j + 1]
        others, together = gram.indices[start:end], gram.data[start:end]
        keep = others != j
        others, together = others[keep], together[keep]
        if not len(others):
            continue
        if len(others) > width:
            top = np.argpartition(-together, width - 1)[:width]
            top.sort()  # ascending item order, as the slices below keep it
            others, together = others[top], together[top]
        block = gram[others][:, others].toarray()
        block[np.diag_indices_from(block)] += l2
        solved = scipy.linalg.solve(block, together, assume_a="pos", check_finite=False)
        sources.append(others)
        targets.append(np.full(len(others), j))
        values.append(solved)
    n = gram.shape[0]
    if not sources:
        return sp.csr_matrix((n, n), dtype=np.float32)
    weights = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(sources), np.concatenate(targets))), shape=(n, n)
    )
    return weights.astype(np.float32)
