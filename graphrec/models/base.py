"""One interface for every recommender: fit, recommend(user_ids, k), similar_items, state.

Batch-first as in ``implicit``: ``recommend`` takes many users and returns ``[n, k]`` item indices
and scores. Indices are the snapshot's contiguous ids; the artifact keeps the maps to real ids.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import NEGATIVE_KINDS, Split
from graphrec.models.serving_parts import ServingParts

OnEval = Callable[[dict[str, float]], None]


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidInput(f"device {device!r} asked for, but torch sees no CUDA GPU")
    return torch.device(device)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def mask_rows(scores: Tensor, users: np.ndarray, exclude: sp.csr_matrix | None) -> Tensor:
    """Set the scores of each user's excluded items to -inf (in place)."""
    if exclude is None:
        return scores
    rows = exclude[users].tocoo()
    if rows.nnz:
        index = torch.from_numpy(np.stack([rows.row, rows.col]).astype(np.int64))
        scores[index[0].to(scores.device), index[1].to(scores.device)] = float("-inf")
    return scores


def binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    """A float32 copy with every stored entry 1: each interaction counts once."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


def interaction_strength(snapshot: Snapshot) -> sp.csr_matrix:
    """Users x items: each pair's strongest interaction weight (a rating's stars, a kind's
    weight from ``GRAPHREC_KIND_WEIGHTS``: a purchase 5, a view 1), negative kinds left out."""
    kinds: list[str] = snapshot.meta["kinds"]
    keep = ~np.isin(snapshot.column("kind"), [kinds.index(k) for k in NEGATIVE_KINDS if k in kinds])
    users, items = snapshot.column("user")[keep], snapshot.column("item")[keep]
    weights = np.nan_to_num(snapshot.column("weight")[keep].astype(np.float32), nan=1.0)
    pair = users.astype(np.int64) * snapshot.num_items + items
    order = np.lexsort((weights, pair))  # within a pair, the strongest last
    last = np.append(pair[order][1:] != pair[order][:-1], True)
    chosen = order[last]
    shape = (snapshot.num_users, snapshot.num_items)
    return sp.csr_matrix((weights[chosen], (users[chosen], items[chosen])), shape=shape)


def weighted(history: sp.spmatrix, strength: sp.csr_matrix) -> sp.csr_matrix:
    """``history``'s entries with each pair's strength (1 where ``strength`` has none)."""
    ones = binary(history)
    has = strength.copy()
    has.data[:] = 1.0
    return (ones + ones.multiply(strength) - ones.multiply(has)).tocsr()


def pair_times(snapshot: Snapshot) -> sp.csr_matrix:
    """Users x items: the time (``ts``, float64) of each pair's latest interaction."""
    users, items, times = snapshot.column("user"), snapshot.column("item"), snapshot.column("ts")
    pair = users.astype(np.int64) * snapshot.num_items + items
    order = np.lexsort((times, pair))  # within a pair, the latest last
    last = order[np.append(pair[order][1:] != pair[order][:-1], True)]
    shape = (snapshot.num_users, snapshot.num_items)
    return sp.csr_matrix((times[last].astype(np.float64), (users[last], items[last])), shape)


def recency_weights(history: sp.csr_matrix, times: sp.csr_matrix, half_life: float) -> np.ndarray:
    """For each stored entry of ``history`` (canonical CSR), ``0.5 ** (rank / half_life)``:
    ``rank`` is how many of the row's items are newer (by ``times``; an item with no time is
    the oldest, items of the same time share a rank). A shopper's newest item weighs 1, the
    one ``half_life`` items older 1/2."""
    rows = np.repeat(np.arange(history.shape[0]), np.diff(history.indptr))
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    stamp = np.asarray(times[rows, history.indices]).ravel()
    order = np.lexsort((-stamp, rows))  # per row, newest first
    row_sorted, stamp_sorted = rows[order], stamp[order]
    place = np.arange(len(order))
    first = np.ones(len(order), dtype=bool)  # a new (row, time) group starts here
    first[1:] = (row_sorted[1:] != row_sorted[:-1]) | (stamp_sorted[1:] != stamp_sorted[:-1])
    group_start = np.maximum.accumulate(np.where(first, place, 0))
    rank = np.empty(len(order), dtype=np.float64)
    rank[order] = group_start - history.indptr[row_sorted]
    return (0.5 ** (rank / half_life)).astype(np.float32)


class TrainingRows:
    """The user x item rows a model trains and answers on: 1 per pair, or, with ``weighted``,
    each pair's strength (:func:`interaction_strength`, read by :meth:`use_snapshot`).
    :meth:`answering` rows also weigh each shopper's items by recency when ``half_life`` is
    set (:func:`recency_weights`): the items had last say most about the next."""

    def __init__(self, model: str, weighted: bool, half_life: float = 0.0) -> None:
        if half_life < 0:
            raise InvalidInput(f"{model}: recency_half_life must be >= 0, got {half_life}")
        self.model, self.weighted, self.half_life = model, weighted, half_life
        self.strength: sp.csr_matrix | None = None
        self.times: sp.csr_matrix | None = None

    def use_snapshot(self, snapshot: Snapshot) -> None:
        if self.weighted:
            self.strength = interaction_strength(snapshot)
        if self.half_life:
            self.times = pair_times(snapshot)

    def answering(self, history: sp.spmatrix) -> sp.csr_matrix:
        """The rows scores are computed from: :meth:`__call__`'s, weighed by recency."""
        rows = self(history)
        if not self.half_life:
            return rows
        if self.times is None:
            raise InvalidInput(
                f"{self.model}: recency_half_life needs the snapshot (use_snapshot) for the times"
            )
        rows.sort_indices()
        rows.data *= recency_weights(rows, self.times, self.half_life)
        return rows

    def __call__(self, history: sp.spmatrix) -> sp.csr_matrix:
        if not self.weighted:
            return binary(history)
        if self.strength is None:
            raise InvalidInput(
                f"{self.model}: weighted needs the snapshot (use_snapshot) for the weights"
            )
        return weighted(history, self.strength)


@dataclass
class History:
    """What training went through: one row per evaluation, for the curve and the artifact."""

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    seconds: float = 0.0
    #: why training ended before its last epoch: "patience", "budget" or "interrupted" (Ctrl-C,
    #: the best epoch so far kept); empty when it ran them all
    stopped: str = ""


class Recommender(ABC):
    """A trained model over ``num_users`` x ``num_items`` contiguous indices."""

    name: ClassVar[str]
    #: Whether ``fit`` reads ``split.valid`` (to stop early): the others can be fitted on
    #: train and validation together once their settings are chosen.
    uses_validation: ClassVar[bool] = False

    def __init__(self, **config: Any) -> None:
        self.config: dict[str, Any] = config
        self.device = pick_device(str(config.get("device", "auto")))
        self.num_users = 0
        self.num_items = 0

    @abstractmethod
    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        """Learn from ``split.train``; models that train iteratively stop early on ``valid``
        and call ``on_eval`` with each evaluation's row."""

    @abstractmethod
    def user_scores(self, users: np.ndarray) -> Tensor:
        """Scores of every item for these users, ``[len(users), num_items]``."""

    @abstractmethod
    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to answer again after :meth:`set_state`."""

    @abstractmethod
    def set_state(self, state: dict[str, np.ndarray]) -> None: ...

    def use_snapshot(self, snapshot: Snapshot) -> None:
        """Read what the model needs besides interactions (item content); most need nothing."""
        return None

    def observe(self, history: sp.csr_matrix) -> None:
        """Answer from now on knowing these user histories (user x item), without training:
        graph models re-propagate over them, neighbour models score from them. Evaluation on
        test calls it with train + validation, as serving does with the latest events."""
        return None

    def item_vectors(self) -> Tensor | None:
        """Item embeddings, for models that have them."""
        return None

    def serving_parts(self) -> ServingParts:
        """What serving scores with (:mod:`graphrec.models.serving_parts`): here the user and
        item vectors; models that score from a shopper's items add their item x item form."""
        items, users_of = self.item_vectors(), getattr(self, "user_vectors", None)
        if items is None or users_of is None:
            raise InvalidInput(f"{self.name} has neither vectors nor an item-item form to serve")
        users = users_of()
        return ServingParts(
            np.ascontiguousarray(items.detach().cpu().numpy(), dtype=np.float32),
            np.ascontiguousarray(users.detach().cpu().numpy(), dtype=np.float32),
        )

    @torch.no_grad()
    def recommend(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix | None = None,
        batch_size: int = 2048,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items and scores per user, best first, without the excluded items."""
        if k < 1 or k > self.num_items:
            raise InvalidInput(f"k must be in 1..{self.num_items}, got {k}")
        items, scores = [], []
        for start in range(0, len(users), batch_size):
            chunk = users[start : start + batch_size]
            batch_scores = mask_rows(self.user_scores(chunk), chunk, exclude)
            top = batch_scores.topk(k, dim=1)
            items.append(top.indices.cpu().numpy())
            scores.append(top.values.cpu().numpy())
        return np.concatenate(items), np.concatenate(scores)

    @torch.no_grad()
    def similar_items(self, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items most similar to each (cosine of item vectors), itself left out."""
        vectors = self.item_vectors()
        if vectors is None:
            raise InvalidInput(f"{self.name} has no item vectors for similar_items")
        unit = torch.nn.functional.normalize(vectors, dim=1)
        query = unit[torch.from_numpy(items).to(unit.device)]
        sims = query @ unit.T
        sims[torch.arange(len(items)), torch.from_numpy(items).to(unit.device)] = float("-inf")
        top = sims.topk(min(k, self.num_items - 1), dim=1)
        return top.indices.cpu().numpy(), top.values.cpu().numpy()
