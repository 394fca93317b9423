"""How much each of a shopper's recent items adds to a recommended item's score.

The model's score of item ``i`` for a shopper (:mod:`.ranking`) is ``query . v_i`` plus, for a
model with item-item weights, ``sum_j w_j N[j, i]``. Per recent item ``j``:

- the session part of the query, ``session_weight * scale * s_j * (unit_j . v_i)``: exact;
- the item-item part, ``w_j N[j, i]`` (``w_j`` the recency weight the served score gives it,
  ``0.5 ** (rank / half_life)``): exact;
- the model's own user vector, ``u . v_i``: not a sum over items for an embedding model, so it
  is shared among the recent items in proportion to how like the item each is (their positive
  ``unit_j . v_i``): an attribution, not an identity.

The reasons name the recent item that adds most (:meth:`.explanations.Explainer.decide`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from graphrec.serving.compiled import Csr
from graphrec.serving.events import Recent
from graphrec.serving.ranking import session_weights


class Attributed(Protocol):
    """What the attribution reads of the engine (:class:`.engine.Engine`)."""

    vectors: np.ndarray
    unit: np.ndarray
    user_vectors: np.ndarray
    neighbours: Csr | None
    half_life: float

    @property
    def config(self) -> Any: ...

    def is_known(self, user: int | None) -> bool: ...


def recency_ranks(times: np.ndarray) -> np.ndarray:
    """Per recent item (newest first), how many are newer than it, items of the same time
    sharing one rank: as the served item-item score weighs them."""
    ranks = np.zeros(len(times), dtype=np.float64)
    rank, newest = 0, None
    for at, ts in enumerate(times.tolist()):
        if at == 0 or ts != newest:
            rank, newest = at, ts
        ranks[at] = rank
    return ranks


def contributions(
    engine: Attributed, user: int | None, recent: Recent, items: np.ndarray
) -> np.ndarray:
    """``[len(items), len(recent)]``: what each recent item adds to each item's score."""
    sources = recent.items
    out = np.zeros((len(items), len(sources)))
    if not len(sources) or not len(items):
        return out
    cfg = engine.config
    looks = engine.vectors[items].astype(np.float64)
    alike = looks @ engine.unit[sources].T.astype(np.float64)  # unit_j . v_i
    known = engine.is_known(user)
    if cfg.session_weight > 0:
        scale = float(np.linalg.norm(engine.user_vectors[user])) if known else 1.0
        weights = session_weights(len(sources), cfg.session_half_life).astype(np.float64)
        out += cfg.session_weight * max(scale, 1e-6) * alike * weights[None, :]
    if known:
        own = looks @ engine.user_vectors[user].astype(np.float64)
        share = np.maximum(alike, 0.0)
        total = share.sum(axis=1, keepdims=True)
        out += np.divide(own[:, None] * share, total, out=np.zeros_like(share), where=total > 0)
    neighbours = engine.neighbours
    if neighbours is not None:
        half_life = engine.half_life
        ranks = recency_ranks(recent.times)
        weights = np.ones(len(sources)) if half_life <= 0 else 0.5 ** (ranks / half_life)
        rows = len(neighbours.indptr) - 1
        for at, source in enumerate(sources.tolist()):
            if source >= rows:
                continue
            start, end = neighbours.indptr[source], neighbours.indptr[source + 1]
            partners = neighbours.indices[start:end]
            found = np.isin(items, partners)
            if found.any():
                lookup = dict(
                    zip(partners.tolist(), neighbours.data[start:end].tolist(), strict=True)
                )
                values = np.array([lookup[i] for i in items[found].tolist()])
                out[found, at] += weights[at] * values
    return out
