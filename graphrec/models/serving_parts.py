"""What a model gives serving to score with, in one form for every model:

    score(u, i) = users[u] . items[i]  +  sum over u's items j of  w_j * neighbours[j, i]

``w_j`` is 1, or with a ``half_life`` ``0.5 ** (rank_j / half_life)`` where ``rank_j`` counts
u's items newer than j. Embedding models (LightGCN, ALS, ...) have vectors only; the models
whose scores are sums over a shopper's items (EASE, item-KNN, the graph filters) have a sparse
item x item matrix, each row its item's ``width`` strongest weights, which serving sums over
the shopper's current items, so that an event changes the next answer as it changes the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

#: Weights kept per item at least: EASE's top 50 per item scored as well as all of them on
#: Amazon Beauty (12k items) ...
WIDTH = 50
#: ... and in all at most, where more fit: on MovieLens (1.7k items), EASE's served form lost
#: 15 % of recall@20 at 50 per item, 8 % at 200 and 4 % at 400 (32 MB at float32 and int32).
WEIGHTS = 4_000_000


def width_for(count: int) -> int:
    """The weights kept per item in a catalogue of ``count`` items (see :data:`WEIGHTS`)."""
    return max(WIDTH, WEIGHTS // max(count, 1))


@dataclass
class ServingParts:
    items: np.ndarray  # float32 [items, dim]: similar items, diversity, the session signal
    users: np.ndarray  # float32 [users, dim]: zeros where the neighbours carry the score
    neighbours: sp.csr_matrix | None = None  # float32 [items, items]
    half_life: float = 0.0

    @classmethod
    def from_items(
        cls, items: np.ndarray, num_users: int, neighbours: sp.csr_matrix, half_life: float
    ) -> ServingParts:
        """The form of a model that scores a shopper from their items only: no user vectors
        (zeros), the item-item weights carry the score."""
        users = np.zeros((num_users, items.shape[1]), dtype=np.float32)
        return cls(items, users, neighbours, half_life)

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        """What serving scores these users with, given their weighed item rows (the form
        above, for checking a model's served form against the model offline)."""
        dense = self.users[users] @ self.items.T
        if self.neighbours is not None:
            dense += (rows @ self.neighbours).toarray()
        return np.asarray(dense, dtype=np.float32)


def strongest_per_row(
    rows_of: Callable[[np.ndarray], np.ndarray], count: int, width: int, batch: int = 1024
) -> sp.csr_matrix:
    """A sparse ``count`` x ``count`` matrix of each row's ``width`` entries largest in size,
    negative ones too (an item's weight on itself left out); ``rows_of(indices)`` gives the
    dense rows."""
    indptr, indices, data = [0], [], []
    for start in range(0, count, batch):
        chunk = np.arange(start, min(start + batch, count))
        dense = np.array(rows_of(chunk), dtype=np.float32)
        dense[np.arange(len(chunk)), chunk] = 0.0
        keep = min(width, count)
        size = np.abs(dense)
        top = np.argpartition(-size, keep - 1, axis=1)[:, :keep] if keep < count else None
        if top is None:
            top = np.tile(np.arange(count), (len(chunk), 1))
        top.sort(axis=1)
        values = np.take_along_axis(dense, top, axis=1)
        for row in range(len(chunk)):
            nonzero = values[row] != 0
            indices.append(top[row][nonzero])
            data.append(values[row][nonzero])
            indptr.append(indptr[-1] + int(nonzero.sum()))
    return sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int32),
            np.asarray(indptr),
        ),
        shape=(count, count),
    )


def item_coordinates(history: sp.csr_matrix, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Item vectors for a model that has none (EASE, item-KNN): each item's coordinates on the
    top ``dim`` singular vectors of the symmetrically normalised user x item matrix, scaled by
    the singular values (items shoppers have together point the same way)."""
    ones = sp.csr_matrix(history, dtype=np.float64, copy=True)
    ones.data[:] = 1.0
    user_degree = np.asarray(ones.sum(axis=1)).ravel()
    item_degree = np.asarray(ones.sum(axis=0)).ravel()
    norm = (
        sp.diags(np.where(user_degree > 0, np.maximum(user_degree, 1) ** -0.5, 0.0))
        @ ones
        @ sp.diags(np.where(item_degree > 0, np.maximum(item_degree, 1) ** -0.5, 0.0))
    )
    dim = min(dim, min(norm.shape) - 1)
    if dim < 1 or norm.nnz == 0:
        return np.zeros((history.shape[1], 1), dtype=np.float32)
    _, values, vt = svds(norm.tocsr(), k=dim, random_state=seed)
    order = np.argsort(-values)
    return np.ascontiguousarray((vt[order].T * values[order]), dtype=np.float32)
