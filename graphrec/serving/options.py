"""What the engine is told: its settings (:class:`EngineConfig`) and a request's filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphrec.rules import Rule
from graphrec.serving.activity import ActivitySettings


@dataclass
class EngineConfig:
    candidates: int = 200
    session_weight: float = 0.5
    session_half_life: float = 3.0
    session_items: int = 20
    graph_weight: float = 0.3
    explore: float = 0.1
    #: exploration slots by Thompson sampling over their outcomes (:mod:`.exploration`);
    #: off: uniformly at random from the pool
    explore_bandit: bool = True
    #: exploration tries items younger than this many days first, beyond the candidate pool
    #: too (0: any age, from the pool)
    explore_max_age_days: float = 30.0
    diversity: float = 0.0
    control_share: float = 0.05
    control_salt: str = "graphrec"
    max_reasons: int = 3
    #: the fewest shoppers a reason's count is shown with ("12 shoppers who chose X also
    #: chose this"): one shopper is not evidence
    min_support: int = 2
    #: each reason names the recent item that adds most to the item's score
    #: (:mod:`.contributions`); off: the one with the strongest edge, reasons in priority order
    attribute_reasons: bool = True
    #: popular and trending: windows, half-lives, clock, refresh (:mod:`.activity`)
    activity: ActivitySettings = field(default_factory=ActivitySettings)
    rules: list[Rule] = field(default_factory=list)
    #: items younger than this many days (by their ``created_at``, on the activity clock) get
    #: ``fresh_boost`` added to their ranking score (in standard deviations of the pool);
    #: 0 days: no freshness
    fresh_days: float = 30.0
    fresh_boost: float = 0.3
    #: The compiled fast path reuses a shopper's serialised answer (with a new recommendation
    #: id) until their next event, a catalogue change, or this many seconds; 0 turns it off.
    answer_ttl_s: float = 30.0
    answer_cache_size: int = 100_000
    #: ... and at most this many bytes of them (an answer with reasons is 10 to 80 KB at k=20,
    #: 29 KB on average on Amazon Beauty), in a ring of that size made when the server starts
    answer_cache_bytes: int = 256 * 2**20
    #: Shoppers up to which :meth:`Engine.precompute_candidates` runs at load (0: never);
    #: it keeps about 2.3 KB per shopper. As many shoppers' path nodes are built at load.
    precompute_users: int = 200_000
    #: how a new item's title is compared with the known items' (words, sentences or both:
    #: :class:`graphrec.models.item_text.KnownTexts`)
    new_item_text: str = "words"


@dataclass
class RecFilter:
    categories: list[str] | None = None
    brands: list[str] | None = None
    in_stock_only: bool = True
    exclude_items: list[str] | None = None
    #: a price range (either end open); an item without a price is outside any range
    min_price: float | None = None
    max_price: float | None = None

    def key(self) -> tuple[Any, ...]:
        def frozen(values: list[str] | None) -> tuple[str, ...] | None:
            return None if values is None else tuple(values)

        return (
            frozen(self.categories),
            frozen(self.brands),
            self.in_stock_only,
            frozen(self.exclude_items),
            self.min_price,
            self.max_price,
        )
