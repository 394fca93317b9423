"""A shopper's events as the engine reads them, and the answers' precomputed candidates.

:class:`ShopperEvents` turns a shopper's events (arrays, no object per event) into what a
request needs: which items to leave out, their newest distinct items, and the item-item part of
each item's score (:func:`.kernels.history_scores`). :func:`precompute` stores every shopper's
scoring vector and best items at load (:class:`.candidates.StoredCandidates`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from graphrec.serving.candidates import MARGIN, StoredCandidates
from graphrec.serving.compiled import Csr, ScratchArrays
from graphrec.serving.events import Recent
from graphrec.serving.kernels import history_scores, shopper_events
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig
from graphrec.serving.ranking import Ranked, user_query

#: Kinds that do not remove an item from later recommendations.
KEEP_KINDS = frozenset({"view", "click"})
_NO_HISTORY = np.zeros(0, dtype=np.float32)


class ShopperEvents:
    """Reads a shopper's events off the live graph for a request."""

    def __init__(self, live: LiveGraph, config: EngineConfig, scratch: ScratchArrays) -> None:
        self.live, self.config, self.scratch = live, config, scratch
        #: per event kind (as many as ``live.kind_names`` had): kept (a view), and the code of
        #: "not interested"
        self._kinds: tuple[int, np.ndarray, int] = (-1, np.zeros(0, dtype=bool), -1)

    def of(self, user: int) -> tuple[np.ndarray, Recent, np.ndarray]:
        """What the shopper had (every kind but views) or marked not interesting; their
        newest distinct events (``session_items``, not counting "not interested"); and the
        items of all their events, sorted."""
        items, kinds, times = self.live.events(user)
        keep, skip = self.kind_codes()
        excluded, places, mine = shopper_events(items, kinds, keep, skip, self.config.session_items)
        names = self.live.kind_names
        return excluded, Recent(items[places], kinds[places], times[places], names), mine

    def kind_codes(self) -> tuple[np.ndarray, int]:
        """Per event kind code: whether it leaves its item recommendable (a view); and the
        code of "not interested" (-1: none yet)."""
        names = self.live.kind_names
        if self._kinds[0] != len(names):
            keep = np.array([n in KEEP_KINDS for n in names], dtype=bool)
            skip = names.index("not_interested") if "not_interested" in names else -1
            self._kinds = (len(names), keep, skip)
        return self._kinds[1], self._kinds[2]

    def history_scores(
        self,
        user: int | None,
        neighbours: Csr | None,
        half_life: float,
        add_new: Callable[[np.ndarray], None],
    ) -> np.ndarray:
        """The item-item part of each item's score for this shopper (float32 per item), from
        all their items as they are now; empty without ``neighbours``. ``add_new`` adds the
        part of the items placed after training (:meth:`.new_items.NewItems.add_history`)."""
        if neighbours is None or user is None:
            return _NO_HISTORY
        items, kinds, times = self.live.events(user)
        out = np.zeros(self.live.num_items, dtype=np.float32)
        skip = self.kind_codes()[1]
        history_scores(items, kinds, times, skip, half_life, neighbours, self.scratch().slot, out)
        add_new(out)
        return out


class Precomputed(Ranked, Protocol):
    """What :func:`precompute` reads of the engine (:class:`.engine.Engine`)."""

    shopper_events: ShopperEvents
    neighbours: Csr | None
    stored: StoredCandidates


def precompute(engine: Precomputed) -> int:
    """Store every shopper's scoring vector and best ``candidates + 64`` items as loaded
    (:class:`.candidates.StoredCandidates`); how many shoppers have them."""
    cfg, live = engine.config, engine.live
    engine.stored.stored = None
    users = len(live.user_ids)
    if users == 0 or users > cfg.precompute_users:
        return 0
    width = min(cfg.candidates + MARGIN, live.num_items)
    queries = np.zeros((users, engine.vectors.shape[1]), dtype=np.float32)
    valid = np.zeros(users, dtype=bool)
    for user in range(users):
        if live.user_ids[user] is None:
            continue
        recent = engine.shopper_events.of(user)[1]
        if recent or engine.is_known(user):  # the others get cold-start answers
            queries[user] = user_query(engine, user, recent)[0]
            valid[user] = True
    history = engine.history_scores if engine.neighbours is not None else None
    return engine.stored.store(
        queries, valid, engine.vectors, width, engine.candidate_stamp(), history=history
    )


def top_shoppers(live: LiveGraph, k: int) -> list[str]:
    """The ``k`` shoppers with the most events, ties by load order."""
    counts = np.diff(live.hist_indptr).astype(np.int64)
    for user, events in live.live.items():
        counts[user] += len(events)
    order = np.lexsort((np.arange(len(counts)), -counts))
    return [live.user_ids[u] for u in order[: k * 2] if live.user_ids[u]][:k]  # type: ignore[misc]
