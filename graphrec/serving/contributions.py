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

from graphrec.serving.compiled import Csr, Scratch, compiled
from graphrec.serving.events import Recent
from graphrec.serving.ranking import session_weights


class Attributed(Protocol):
    """What the attribution reads of the engine (:class:`.engine.Engine`)."""

    vectors: np.ndarray
    unit: np.ndarray
    user_vectors: np.ndarray
    neighbours: Csr | None
    half_life: float
    lock: Any

    @property
    def config(self) -> Any: ...

    def is_known(self, user: int | None) -> bool: ...

    def scratch(self) -> Scratch: ...


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
    if engine.neighbours is not None and not len(sources):  # at load: compile the loop
        with engine.lock:
            item_item_parts(
                engine.neighbours, sources, np.zeros(0), items, engine.scratch().slot, out
            )
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
        with engine.lock:  # for the scratch
            item_item_parts(
                neighbours, sources, weights, items.astype(np.int64), engine.scratch().slot, out
            )
    return out


@compiled
def item_item_parts(
    neighbours: Csr,  # item x item weights (rows beyond its size: items without any)
    sources: np.ndarray,  # int64: the recent items
    weights: np.ndarray,  # float64 per source: its recency weight
    items: np.ndarray,  # int64: the items explained
    slot: np.ndarray,  # int32 scratch per item, -1 at rest (put back)
    out: np.ndarray,  # float64 [items, sources]: receives each source's weight to each item
) -> None:
    """``out[j, s] += weights[s] * N[sources[s], items[j]]``: one pass over each source's row."""
    indptr, indices, data = neighbours
    rows = len(indptr) - 1
    for j in range(len(items)):
        if slot[items[j]] < 0:
            slot[items[j]] = j
    for at in range(len(sources)):
        source = sources[at]
        if source >= rows:
            continue
        for p in range(indptr[source], indptr[source + 1]):
            j = slot[indices[p]]
            if j >= 0:
                out[j, at] += weights[at] * data[p]
    for j in range(len(items)):
        slot[items[j]] = -1
