"""What every list the API returns goes through: the filter, the rules and freshness.

Recommendations, similar items, bought together, a cart's complements, trending, cold-start and
control answers all take their items through the same three steps:

1. :meth:`Policy.allowed`: the request's filter (in stock unless ``inStockOnly`` is off,
   brands, categories and those below them, a price range, items left out);
2. :meth:`Policy.adjust`: one number per item added to its ranking score, in standard
   deviations of the list's scores: the rules' boosts (+weight) and burials (below every other
   item), and ``fresh_boost`` for items younger than ``fresh_days`` (by ``created_at``, on the
   activity clock, so a replay of past data is fresh as of its own time);
3. :func:`.reranking.apply_pins`: pinned items at their positions.

The personalised ranking folds the same ``adjust`` into its compiled blend
(:mod:`.ranking`); the other lists call :meth:`Policy.finish`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphrec.errors import NotFound
from graphrec.serving.activity import DAY
from graphrec.serving.filters import items_under
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig, RecFilter
from graphrec.serving.reranking import apply_pins, rule_mask

#: what a burial subtracts: below any score a list's standard scores reach
BURIED = 1e3


class Policy:
    """The filter, rules and freshness of one engine (its live graph and settings)."""

    def __init__(self, live: LiveGraph, config: EngineConfig) -> None:
        self.live, self.config = live, config
        self._adjust: tuple[tuple[Any, ...], np.ndarray | None] | None = None
        self._young: tuple[tuple[Any, ...], np.ndarray] | None = None
        self._prices: tuple[int, np.ndarray] | None = None

    # -- 1. the filter ---------------------------------------------------------------------
    def allowed(self, flt: RecFilter) -> np.ndarray:
        """Per item, whether the filter lets it through. A brand or category the shop does not
        have is not found (a misspelt id would otherwise empty or ignore the filter)."""
        live = self.live
        ok = live.in_stock.copy() if flt.in_stock_only else np.ones(live.num_items, dtype=bool)
        if flt.brands is not None:
            wanted = {self._known(live.brand_index, b, "brand") for b in flt.brands}
            ok &= np.isin(np.asarray(live.brand), list(wanted))
        if flt.categories is not None:
            wanted = {self._known(live.category_index, c, "category") for c in flt.categories}
            ok &= items_under(live, wanted)
        if flt.min_price is not None or flt.max_price is not None:
            prices = self.prices()
            with np.errstate(invalid="ignore"):  # no price (NaN): outside any range
                if flt.min_price is not None:
                    ok &= prices >= flt.min_price
                if flt.max_price is not None:
                    ok &= prices <= flt.max_price
        for item_id in flt.exclude_items or ():  # one no longer sold is simply not there
            index = live.item_index.get(item_id)
            if index is not None:
                ok[index] = False
        return ok

    @staticmethod
    def _known(index: dict[str, int], key: str, what: str) -> int:
        if key not in index:
            raise NotFound(f"no {what} with id {key!r} (in the filter)")
        return index[key]

    def prices(self) -> np.ndarray:
        """Every item's price (NaN: none), made once per catalogue version."""
        live = self.live
        if self._prices is None or self._prices[0] != live.catalogue_version:
            values = [np.nan if p is None else p for p in live.prices]
            self._prices = (live.catalogue_version, np.asarray(values, dtype=np.float64))
        return self._prices[1]

    # -- 2. boosts, burials, freshness -------------------------------------------------------
    def adjust(self) -> np.ndarray | None:
        """Per item, what the rules and freshness add to its standard score (None: nothing),
        made again when the rules, the catalogue or the hour changes."""
        live, cfg = self.live, self.config
        scoring = tuple(r for r in cfg.rules if r.action in ("boost", "bury"))
        fresh = cfg.fresh_days > 0 and cfg.fresh_boost != 0
        now = live.activity.now()
        key = (scoring, live.catalogue_version, live.num_items, fresh and now // 3600) + (
            cfg.fresh_days,
            cfg.fresh_boost,
        )
        if self._adjust is not None and self._adjust[0] == key:
            return self._adjust[1]
        adjust = np.zeros(live.num_items)
        for rule in scoring:
            adjust[rule_mask(live, rule)] += (
                rule.weight if rule.action == "boost" else -abs(rule.weight) - BURIED
            )
        if fresh:
            adjust[added_within(live, cfg.fresh_days, now)] += cfg.fresh_boost
        result = adjust if adjust.any() else None
        self._adjust = (key, result)
        return result

    def young(self) -> np.ndarray:
        """Per item, whether it was added within ``explore_max_age_days`` (by ``created_at``,
        on the activity clock), made again when the catalogue, the setting or the hour
        changes."""
        live, days = self.live, self.config.explore_max_age_days
        now = live.activity.now()
        key = (live.catalogue_version, live.num_items, days, now // 3600)
        if self._young is None or self._young[0] != key:
            self._young = (key, added_within(live, days, now))
        return self._young[1]

    # -- all three, for a list ---------------------------------------------------------------
    def shortlist(self, k: int) -> int:
        """How many of a list's best to take for :meth:`finish`: enough for the rules to
        reorder and the pins to displace."""
        return k * 3 + len(self.config.rules)

    def finish(
        self, items: np.ndarray, scores: np.ndarray, allowed: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray, set[int]]:
        """The first ``k`` of ``items`` (best first by ``scores``) that ``allowed`` (from
        :meth:`allowed`) lets through, reordered by the rules and freshness, pins placed (the
        third value: the pinned items); the scores stay the list's own."""
        items = np.asarray(items, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        keep = allowed[items]
        items, scores = items[keep], scores[keep]
        adjust = self.adjust()
        if adjust is not None and len(items):
            spread = float(scores.std()) or 1.0
            standard = (scores - scores.mean()) / spread + adjust[items]
            order = np.lexsort((items, -standard))
            items, scores = items[order], scores[order]
        return apply_pins(self.live, self.config.rules, items, scores, allowed, k)


def added_within(live: LiveGraph, days: float, now: int) -> np.ndarray:
    """Per item, whether its ``created_at`` is known and at most ``days`` before ``now``."""
    born = live.created_at[: live.num_items]
    return (born > 0) & (born >= now - days * DAY)
