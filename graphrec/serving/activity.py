"""How much each item is chosen, overall and lately: the counts behind popular and trending.

Per item, from the interactions that show interest (every kind but ``not_interested``):

- ``shoppers``: how many shoppers chose it ("Popular: chosen by 37 shoppers");
- ``recent``: how many chose it in the last ``window_days`` before now ("Trending in Shampoos:
  4 shoppers in the last 7 days");
- ``trend_score`` and ``popular_score``: every interaction counted with a weight that halves
  every ``trending_half_life_days`` (``popular_half_life_days``) before now. They are kept as
  ``log2 sum(2 ** (ts / half_life))``: decaying all of them to a later now subtracts the same
  number from each, so the order they give never needs recomputing as time passes, an event
  adds to one item in O(1), and no weight underflows however old the data.

"Now" is the wall clock (``clock="wall"``), or for a replay of past data the newest interaction
the process has seen (``clock="data"``). The counts are made at load from the snapshot, kept up
by every event applied to memory, and made again from the store every ``refresh_seconds``
(:meth:`Activity.from_store`), which also expires what left the window and what a privacy
delete took away, so every process on one store agrees within one refresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from graphrec.graph.splits import NEGATIVE_KINDS

DAY = 86_400
#: A score for "never chosen": finite, so such items still fill a list, after all others.
NEVER = -1e300


@dataclass(frozen=True)
class ActivitySettings:
    window_days: float = 7.0
    trending_half_life_days: float = 7.0
    popular_half_life_days: float = 90.0
    clock: Literal["wall", "data"] = "wall"
    refresh_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name in ("window_days", "trending_half_life_days", "popular_half_life_days"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.clock not in ("wall", "data"):
            raise ValueError(f"clock must be 'wall' or 'data', got {self.clock!r}")

    @property
    def window(self) -> int:
        return int(self.window_days * DAY)

    @property
    def trend_half_life(self) -> float:
        return self.trending_half_life_days * DAY

    @property
    def popular_half_life(self) -> float:
        return self.popular_half_life_days * DAY


def _log_sums(items: np.ndarray, ts: np.ndarray, n: int, half_life: float) -> np.ndarray:
    """Per item, ``log2 sum(2 ** (ts / half_life))`` over its rows (NEVER where none)."""
    newest = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(newest, items, ts)
    sums = np.bincount(items, weights=np.exp2((ts - newest[items]) / half_life), minlength=n)
    return _from_sums(newest, sums, half_life)


def _from_sums(newest: np.ndarray, sums: np.ndarray, half_life: float) -> np.ndarray:
    out = np.full(len(sums), NEVER, dtype=np.float64)
    some = sums > 0
    out[some] = newest[some] / half_life + np.log2(sums[some])
    return out


class Activity:
    """The four per-item arrays above, for ``n`` items (grown as items arrive)."""

    def __init__(self, n: int, settings: ActivitySettings, data_now: int = 0) -> None:
        self.settings = settings
        self.shoppers = np.zeros(n, dtype=np.float64)
        self.recent = np.zeros(n, dtype=np.float64)
        self.trend_score = np.full(n, NEVER, dtype=np.float64)
        self.popular_score = np.full(n, NEVER, dtype=np.float64)
        #: the newest interaction seen: "now" on the data's clock
        self.data_now = data_now
        #: bumped whenever the counts are made afresh (every cached list of them is stale)
        self.version = 0

    def now(self) -> int:
        return int(time.time()) if self.settings.clock == "wall" else self.data_now

    @classmethod
    def from_events(
        cls,
        users: np.ndarray,
        items: np.ndarray,
        ts: np.ndarray,
        interested: np.ndarray,
        n: int,
        settings: ActivitySettings,
    ) -> Activity:
        """From arrays of interactions (``interested``: bool per row, False for negative kinds)."""
        data_now = int(ts.max()) if len(ts) else 0
        activity = cls(n, settings, data_now)
        users, items = users[interested].astype(np.int64), items[interested].astype(np.int64)
        ts = ts[interested].astype(np.int64)
        if not len(items):
            return activity
        pairs = np.unique(users * n + items)
        activity.shoppers = np.bincount(pairs % n, minlength=n).astype(np.float64)
        since = activity.now() - settings.window
        lately = ts >= since
        pairs = np.unique(users[lately] * n + items[lately])
        activity.recent = np.bincount(pairs % n, minlength=n).astype(np.float64)
        activity.trend_score = _log_sums(items, ts, n, settings.trend_half_life)
        activity.popular_score = _log_sums(items, ts, n, settings.popular_half_life)
        return activity

    def afresh(self, rows: list[dict[str, Any]], item_index: dict[str, int], n: int) -> Activity:
        """Counts made again from the store's per-item rows (``GraphStore.item_activity``),
        with this one's settings and clock; items the rows do not name count nothing."""
        fresh = Activity(n, self.settings, self.data_now)
        found = [(item_index.get(r["item_id"]), r) for r in rows]
        kept = [(i, r) for i, r in found if i is not None and i < n]
        if kept:
            at = np.array([i for i, _ in kept], dtype=np.int64)

            def column(name: str, dtype: type) -> np.ndarray:
                return np.array([r[name] for _, r in kept], dtype=dtype)

            newest = np.zeros(n, dtype=np.int64)
            newest[at] = column("newest", np.int64)
            fresh.shoppers[at] = column("shoppers", np.float64)
            fresh.recent[at] = column("recent", np.float64)
            for name, half_life in (
                ("trend", self.settings.trend_half_life),
                ("popular", self.settings.popular_half_life),
            ):
                sums = np.zeros(n, dtype=np.float64)
                sums[at] = column(f"{name}_sum", np.float64)
                setattr(fresh, f"{name}_score", _from_sums(newest, sums, half_life))
            fresh.data_now = max(self.data_now, int(newest.max()))
        fresh.version = self.version + 1
        return fresh

    def query_params(self) -> dict[str, Any]:
        """What :meth:`GraphStore.item_activity` is asked for these settings, now."""
        s = self.settings
        return {
            "excluded": list(NEGATIVE_KINDS),
            "since": self.now() - s.window,
            "trend_half_life": s.trend_half_life,
            "popular_half_life": s.popular_half_life,
        }

    # -- changes --------------------------------------------------------------------------
    def grow(self, n: int) -> None:
        extra = n - len(self.shoppers)
        if extra > 0:
            self.shoppers = np.append(self.shoppers, np.zeros(extra))
            self.recent = np.append(self.recent, np.zeros(extra))
            self.trend_score = np.append(self.trend_score, np.full(extra, NEVER))
            self.popular_score = np.append(self.popular_score, np.full(extra, NEVER))

    def add(self, item: int, ts: int, before: np.ndarray) -> None:
        """A shopper chose ``item`` at ``ts``; ``before``: the times they chose it earlier."""
        self.data_now = max(self.data_now, ts)
        s = self.settings
        if not len(before):
            self.shoppers[item] += 1
        since = self.now() - s.window
        if ts >= since and not (before >= since).any():
            self.recent[item] += 1
        self.trend_score[item] = np.logaddexp2(self.trend_score[item], ts / s.trend_half_life)
        self.popular_score[item] = np.logaddexp2(self.popular_score[item], ts / s.popular_half_life)

    def remove(self, items: np.ndarray, ts: np.ndarray) -> None:
        """A forgotten shopper's interest (their items and times) no longer counts."""
        if not len(items):
            return
        self.version += 1
        s = self.settings
        distinct = np.unique(items)
        self.shoppers[distinct] = np.maximum(self.shoppers[distinct] - 1, 0)
        lately = np.unique(items[ts >= self.now() - s.window])
        self.recent[lately] = np.maximum(self.recent[lately] - 1, 0)
        for scores, half_life in (
            (self.trend_score, s.trend_half_life),
            (self.popular_score, s.popular_half_life),
        ):
            for item, t in zip(items.tolist(), ts.tolist(), strict=True):
                left = -np.expm1((t / half_life - scores[item]) * np.log(2.0))
                scores[item] = scores[item] + np.log2(left) if left > 1e-12 else NEVER

    # -- reading ---------------------------------------------------------------------------
    def trending_now(self, items: np.ndarray) -> np.ndarray:
        """The items' decayed interest now: interactions, each weighing 1/2 per half-life."""
        return self._decayed(self.trend_score[items], self.settings.trend_half_life)

    def popular_now(self, items: np.ndarray) -> np.ndarray:
        return self._decayed(self.popular_score[items], self.settings.popular_half_life)

    def _decayed(self, scores: np.ndarray, half_life: float) -> np.ndarray:
        with np.errstate(under="ignore"):
            out = np.exp2(scores - self.now() / half_life)
        out[scores <= NEVER] = 0.0
        return out
