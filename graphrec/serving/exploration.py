"""Exploration that learns from what it showed: Thompson sampling over the items' outcomes.

Each answer gives ``explore`` of its slots to items of its candidate pool that the ranking did
not choose. Which ones: for every such item a draw from ``Beta(1 + outcomes, 1 + shown -
outcomes)``, its exploration slots so far (``shown``) and the ones that led to an event of
interest naming the answer (``outcomes``); the largest draws win. An item never explored draws
from ``Beta(1, 1)``: under-exposed items are tried, items that were shown often and never
chosen fade, items that were chosen come back. With ``max_age_days``, items younger than that
(by ``created_at``) are explored first, as Amazon Personalize's exploration item age cut-off
does. The draws are a pure function of the answer's id (one answer, one set of slots).

The counts are kept in memory by each serving process, from its own answers and the events
that name them (a restart starts them again; the impression log has what they were made of).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

#: Answers whose explored items are remembered, for the events that name them later.
REMEMBERED = 100_000


class Bandit:
    """Per item: exploration slots shown, and those that led to interest."""

    def __init__(self) -> None:
        self.shown = np.zeros(0, dtype=np.float64)
        self.outcomes = np.zeros(0, dtype=np.float64)
        #: recommendation id -> the items its exploration slots showed (newest last)
        self.answers: OrderedDict[str, tuple[int, ...]] = OrderedDict()

    def _grow(self, n: int) -> None:
        if n > len(self.shown):
            extra = n - len(self.shown)
            self.shown = np.append(self.shown, np.zeros(extra))
            self.outcomes = np.append(self.outcomes, np.zeros(extra))

    def choose(
        self, seed: str, candidates: np.ndarray, n: int, young: np.ndarray | None = None
    ) -> np.ndarray:
        """The places in ``candidates`` (item indices) of the ``n`` chosen by Thompson
        sampling; ``young``: per candidate, whether it is within the age cut-off (those
        first)."""
        if n <= 0 or not len(candidates):
            return np.zeros(0, dtype=np.int64)
        self._grow(int(candidates.max()) + 1)
        state = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
        draws = np.random.Generator(np.random.PCG64(state)).beta(
            1.0 + self.outcomes[candidates],
            1.0 + np.maximum(self.shown[candidates] - self.outcomes[candidates], 0.0),
        )
        if young is not None and young.any():
            draws = draws + young  # every young item above every other
        return np.argsort(-draws, kind="stable")[:n]

    def showed(self, rec_id: str, items: list[int]) -> None:
        """An answer gave exploration slots to ``items``."""
        if not items:
            return
        self._grow(max(items) + 1)
        self.shown[items] += 1
        self.answers[rec_id] = tuple(items)
        if len(self.answers) > REMEMBERED:
            self.answers.popitem(last=False)

    def outcome(self, rec_id: str | None, item: int) -> bool:
        """An event of interest on ``item`` naming answer ``rec_id``: a success for the item
        when the answer explored it (once per answer and item). Whether it counted."""
        explored = self.answers.get(rec_id or "")
        if not explored or item not in explored:
            return False
        self._grow(item + 1)
        self.outcomes[item] += 1
        rest = tuple(i for i in explored if i != item)
        if rest:
            self.answers[rec_id or ""] = rest
        else:
            del self.answers[rec_id or ""]
        return True
