"""Candidates: where an answer's items come from before they are ranked.

Besides the items a request scores itself (its scoring vector against the catalogue), a
shopper known at load has their best items stored (:class:`StoredCandidates`, one batched
product for every shopper), and the popular and trending items come from the live counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphrec.serving.kernels import top_allowed
from graphrec.serving.live import LiveGraph

#: Stored candidates beyond ``candidates``, so that filters rarely leave too few.
MARGIN = 64


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first (ties by index among those
    chosen; which of the items tied at the k-th place are chosen is argpartition's pick)."""
    finite = int(np.isfinite(scores).sum())
    k = min(k, finite)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = np.lexsort((part, -scores[part]))
    return part[order].astype(np.int64)


@dataclass(frozen=True)
class Stored:
    queries: np.ndarray  # per shopper: the scoring vector
    ranked: np.ndarray  # per shopper: the best items, best first
    scores: np.ndarray  # ... and their scores
    valid: np.ndarray  # per shopper: whether stored
    versions: dict[str, int]  # each shopper's event version when stored
    stamp: tuple[Any, ...]  # what they depend on (see Engine.candidate_stamp)


class StoredCandidates:
    """Every shopper's scoring vector and best items as loaded: their requests then score a few
    hundred items instead of the whole catalogue (the product over all items, cache-cold, was a
    sixth of a request). A shopper's entry is used until their next event, and all of them
    until the session settings change; a new item joins the entries whose items it beats."""

    def __init__(self, live: LiveGraph) -> None:
        self.live = live
        self.stored: Stored | None = None

    def store(
        self,
        queries: np.ndarray,
        valid: np.ndarray,
        vectors: np.ndarray,
        width: int,
        stamp: tuple[Any, ...],
        batch: int = 1024,
        history: Callable[[int], np.ndarray] | None = None,
    ) -> int:
        """Rank the catalogue for every ``valid`` shopper's query, ``width`` items each, one
        product per ``batch`` shoppers; with ``history``, plus each shopper's item-item scores
        (``history(user)``). How many are stored."""
        users = len(queries)
        ranked = np.zeros((users, width), dtype=np.int32)
        ranked_scores = np.zeros((users, width), dtype=np.float32)
        rows = np.flatnonzero(valid)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            scores = queries[chunk] @ vectors.T
            if history is not None:
                for row, user in enumerate(chunk.tolist()):
                    scores[row] += history(user)
            if width < scores.shape[1]:
                part = np.argpartition(-scores, width - 1, axis=1)[:, :width]
            else:
                part = np.tile(np.arange(width), (len(chunk), 1))
            part.sort(axis=1)  # ties go to the lower index, as top_k does
            best = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
            ranked[chunk] = order = np.take_along_axis(part, best, axis=1)
            ranked_scores[chunk] = np.take_along_axis(scores, order, axis=1)
        self.stored = Stored(
            queries, ranked, ranked_scores, valid, dict(self.live.user_versions), stamp
        )
        return len(rows)

    def adopt(self, arrays: dict[str, np.ndarray], stamp: tuple[Any, ...]) -> None:
        """Use candidates stored by another process from the same data (shared arrays)."""
        self.stored = Stored(
            arrays["queries"],
            arrays["ranked"],
            arrays["scores"],
            arrays["valid"],
            dict(self.live.user_versions),
            stamp,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The stored candidates as arrays to share (none when nothing is stored)."""
        pre = self.stored
        if pre is None:
            return {}
        return {
            "queries": pre.queries,
            "ranked": pre.ranked,
            "scores": pre.scores,
            "valid": pre.valid,
        }

    def of(
        self, user: int | None, stamp: tuple[Any, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The shopper's stored query, items and scores, while they still hold."""
        pre = self.stored
        if pre is None or user is None or user >= len(pre.valid) or not pre.valid[user]:
            return None
        user_id = self.live.user_ids[user]
        if user_id is None or self.live.user_versions.get(user_id, 0) != pre.versions.get(
            user_id, 0
        ):
            return None
        if pre.stamp != stamp:
            self.stored = None  # new session settings, or items added unseen: all are stale
            return None
        return pre.queries[user], pre.ranked[user], pre.scores[user]

    def add_item(
        self, item: int, vectors: np.ndarray, before: tuple[Any, ...], after: tuple[Any, ...]
    ) -> None:
        """A new item among the stored candidates of the shoppers whose stored ones it beats,
        so that the others stay in use (retiring them all on every new item made each later
        answer 15-25 % slower until the next reload). ``before``/``after``: the stamps
        without and with the item."""
        pre = self.stored
        if pre is None or pre.stamp != before:
            return  # nothing stored, or stale already: its next use retires it
        if pre.ranked.shape[1] >= item:  # the whole catalogue was ranked: rank it afresh
            self.stored = None
            return
        scores = pre.queries @ vectors[item]
        for user in np.flatnonzero(pre.valid & (scores > pre.scores[:, -1])).tolist():
            # after the stored items with the same score: ties go to the lower index
            at = int(np.searchsorted(-pre.scores[user], -scores[user], side="right"))
            pre.ranked[user, at + 1 :] = pre.ranked[user, at:-1].copy()
            pre.scores[user, at + 1 :] = pre.scores[user, at:-1].copy()
            pre.ranked[user, at], pre.scores[user, at] = item, scores[user]
        self.stored = dataclasses.replace(pre, stamp=after)


class Popularity:
    """The popular and the trending items, from the counts of :mod:`.activity`."""

    def __init__(self, live: LiveGraph) -> None:
        self.live = live
        self._trending: dict[int, tuple[tuple[int, ...], np.ndarray]] = {}

    def category_trending(self, category: int, n: int = 10) -> np.ndarray:
        """The category's ``n`` most trending in-stock items, cached until an event raises the
        trend of an item in it, the counts are made afresh or the catalogue changes (not on
        every event: under a stream of events every request recomputed the lists of all its
        categories)."""
        live = self.live
        stamp = (
            live.catalogue_version,
            live.trend_versions.get(category, 0),
            live.activity.version,
            id(live.activity),
        )
        cached = self._trending.get(category)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        members = np.asarray(live.category_items.get(category, []), dtype=np.int64)
        members = members[live.in_stock[members]]
        top = members[top_k(live.activity.trend_score[members], n)] if len(members) else members
        self._trending[category] = (stamp, top)
        return top

    def popular(self, allowed: np.ndarray, k: int, trending: bool = False) -> np.ndarray:
        """The ``k`` most popular or most trending allowed items (by their decayed interest),
        best first, ties by index."""
        activity = self.live.activity
        scores = activity.trend_score if trending else activity.popular_score
        return top_allowed(scores, scores, 0.0, allowed, k)
