"""The recommendation pipeline: candidates -> ranking -> re-ranking, with true reasons.

:class:`Engine` answers a request from memory, one stage per module:

1. Candidates (:mod:`.candidates`): the top ``candidates`` items by embedding score (stored per
   shopper at load); the ``BOUGHT_WITH`` partners and co-interaction neighbours of the
   shopper's recent items; what trends in their categories.
2. Ranking (:mod:`.ranking`): the model's user-item score blended with the session signal,
   z-scored over the pool, plus the graph's evidence and the rules' boosts and burials.
3. Re-ranking (here and :mod:`.reranking`): drop what the shopper had (every kind but views)
   or marked not interesting; the request's filter and the stock filter; pins; MMR
   diversity; exploration slots, each saying so.
4. Reasons (:mod:`.explanations`, kinds in :mod:`.reasons`): read off the live graph
   (:mod:`.live`), which the engine keeps in step with the store, strongest first.

New shoppers get the trending items (cold start); a share of shoppers, fixed by their id,
get the popular items as a control group (:mod:`.lift` measures the difference).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from graphrec.errors import InvalidInput, NotFound
from graphrec.serving.answers import Asked, ItemsWriter, answer_with_reasons
from graphrec.serving.candidates import Popularity, StoredCandidates
from graphrec.serving.compiled import Csr, ScratchArrays
from graphrec.serving.contributions import contributions, item_item_parts
from graphrec.serving.events import NO_EVENTS, Recent
from graphrec.serving.explanations import Explainer
from graphrec.serving.exploration import Bandit
from graphrec.serving.filters import in_control_group
from graphrec.serving.item_views import ItemViews
from graphrec.serving.kernels import warm_up
from graphrec.serving.live import LiveGraph
from graphrec.serving.new_items import NewItems
from graphrec.serving.options import EngineConfig, RecFilter
from graphrec.serving.policy import Policy
from graphrec.serving.ranking import personal
from graphrec.serving.reranking import apply_pins
from graphrec.serving.results import (
    Item,
    Reason,
    Recommendations,
    Strategy,
)
from graphrec.serving.shoppers import ShopperEvents, precompute, top_shoppers

MAX_K = 100


class Engine:
    """Answers from memory: item/user vectors of a trained model plus the live graph."""

    def __init__(
        self,
        live: LiveGraph,
        item_vectors: np.ndarray,
        user_vectors: np.ndarray,
        known_users: np.ndarray | None = None,
        config: EngineConfig | None = None,
        unit: np.ndarray | None = None,
        neighbours: Csr | None = None,
        half_life: float = 0.0,
        known_items: np.ndarray | None = None,
    ) -> None:
        """``unit``: the item vectors scaled to length 1, when already made (shared arrays);
        ``neighbours``: a model's item x item weights, summed over a shopper's items (weighed
        by recency with ``half_life``) into each item's score besides the vectors'
        (:mod:`graphrec.models.serving_parts`); ``known_items``: which items the model saw
        (default: those with a vector)."""
        self.live = live
        self._config = config or EngineConfig()
        #: The model version the vectors come from (its artifact's name), in every answer.
        self.version = ""
        self.lock = threading.RLock()
        self.vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        if unit is None:
            unit = self.vectors / np.maximum(
                np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-12
            )
        self.unit = unit
        self.user_vectors = np.ascontiguousarray(user_vectors, dtype=np.float32)
        self.neighbours, self.half_life = neighbours, half_life
        #: per item, whether it has a vector (kept with the vectors, not derived per request)
        self.has_vector = np.abs(self.unit).sum(axis=1) > 0
        self.known_items = (
            np.linalg.norm(self.vectors, axis=1) > 0
            if known_items is None
            else np.array(known_items, dtype=bool)
        )
        self.known_users = (
            np.ones(len(user_vectors), dtype=bool)
            if known_users is None
            else np.array(known_users, dtype=bool)  # a copy: forgetting a shopper changes it
        )
        self.item_views = ItemViews(live)
        #: Embeds an item that arrived after training (GraphSAGE's network); None: content mean.
        self.item_encoder: Callable[[int], np.ndarray | None] | None = None
        self.popularity = Popularity(live)
        #: the answers' reasons; it keeps the path nodes, which, like the item views, are
        #: shared between answers and replaced, never changed in place, on an upsert (so
        #: encoders may keep their JSON, see graphrec.api.encoders)
        #: per-item scratch of the kernels (used under ``lock``, left as it was found); an
        #: object of its own, not a method: no part of the engine refers back to the engine, so
        #: a replaced engine is freed at once, without the cyclic garbage collector
        self.scratch = ScratchArrays(lambda: live.num_items)
        self.explainer = Explainer(live, self.lock, self.scratch)
        self.explainer.min_support = self._config.min_support
        #: the filter, rules and freshness every list goes through
        self.policy = Policy(live, self.config)
        self.shopper_events = ShopperEvents(live, self.config, self.scratch)
        self.stored = StoredCandidates(live)
        #: what exploration slots showed and what came of them
        self.bandit = Bandit()
        self.new_items = NewItems(live, self._config.new_item_text)

    @property
    def config(self) -> EngineConfig:
        return self._config

    @config.setter
    def config(self, config: EngineConfig) -> None:
        """New settings (the rules changed): for the engine and the parts that read them."""
        self._config = self.policy.config = self.shopper_events.config = config
        self.explainer.min_support = config.min_support

    def is_known(self, user: int | None) -> bool:
        """Whether the model has a vector for this user."""
        return user is not None and user < len(self.known_users) and bool(self.known_users[user])

    def upsert_item(
        self,
        item_id: str,
        title: str | None,
        price: float | None,
        in_stock: bool,
        brand: tuple[str, str | None] | None,
        categories: list[tuple[str, str | None]],
        created_at: int | None = None,
    ) -> tuple[int, bool]:
        """Add or update an item the store has: the live graph's record of it, its cached
        views, and (new) its vector. Its index and whether it is new."""
        with self.lock:
            index, new = self.live.upsert_item(
                item_id, title, price, in_stock, brand, categories, created_at
            )
            self.item_changed(index, new)
        return index, new

    def item_changed(self, index: int, new: bool) -> None:
        """After an upsert: drop the cached view; give a new item its vector (from its title's
        look-alikes, else the model's network where it has one, else its content)."""
        self.item_views.drop(index)
        self.explainer.item_changed(index)
        if new:
            vector = self.new_items.vector(
                index, self.vectors, self.look_alike_items(), self.item_encoder
            )
            self.vectors = np.vstack([self.vectors, vector[None, :]])
            norm = max(float(np.linalg.norm(vector)), 1e-12)
            self.unit = np.vstack([self.unit, (vector / norm)[None, :]])
            self.known_items = np.append(self.known_items, False)  # placed, not trained
            self.has_vector = np.append(self.has_vector, norm > 1e-12)
            if self.neighbours is not None:
                # its item-item score is its look-alikes' (NewItems.add_history): the stored
                # candidates have no part of it, so every shopper is ranked afresh from now
                self.stored.stored = None
                return
            self.stored.add_item(
                index, self.vectors, self.candidate_stamp(index), self.candidate_stamp()
            )

    def look_alike_items(self) -> np.ndarray:
        """Which items a new one may be scored like: those the model saw and scores, by a
        vector or by item-item weights (bool per item with a vector)."""
        count = len(self.vectors)
        scored = self.has_vector[:count].copy()
        if self.neighbours is not None:
            weighted = np.diff(self.neighbours.indptr)[:count] > 0
            scored[: len(weighted)] |= weighted
        return self.known_items[:count] & scored

    def set_vector(self, index: int, vector: np.ndarray) -> None:
        self.vectors[index] = vector
        self.unit[index] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        self.has_vector[index] = bool(np.abs(vector).sum() > 0)

    def forget(self, user: int) -> None:
        self.live.forget(user)
        self.explainer.forget(user)
        if user < len(self.known_users):
            self.known_users[user] = False
            self.user_vectors[user] = 0.0

    # -- items -------------------------------------------------------------------------------
    def item_index(self, item_id: str) -> int:
        index = self.live.item_index.get(item_id)
        if index is None:
            raise NotFound(f"no item with id {item_id!r}")
        return index

    def item(self, index: int) -> Item:
        return self.item_views(index)

    # -- scores ------------------------------------------------------------------------------
    def history_scores(self, user: int | None) -> np.ndarray:
        """The item-item part of each item's score for this shopper (float32 per item), from
        all their items as they are now; empty for a model without one."""
        return self.shopper_events.history_scores(
            user, self.neighbours, self.half_life, self.new_items.add_history
        )

    def allowed(self, flt: RecFilter) -> np.ndarray:
        return self.policy.allowed(flt)

    # -- recommendations ---------------------------------------------------------------------
    def recommend(
        self,
        user_id: str,
        k: int = 20,
        flt: RecFilter | None = None,
        diversity: float | None = None,
        explore: float | None = None,
        writer: ItemsWriter | None = None,
        within: np.ndarray | None = None,
    ) -> Recommendations:
        """``writer``: a compiled plan's, to write the items with their reasons as its JSON
        (``items_json``, an ``orjson.Fragment``; ``items`` is then empty) instead of making them
        as objects. ``within``: rank these items only, those the shopper had included
        (:func:`.shopper_lists.rank`)."""
        check_k(k)
        cfg = self.config
        diversity = cfg.diversity if diversity is None else diversity
        explore = cfg.explore if explore is None else explore
        if not 0.0 <= diversity <= 1.0:
            raise InvalidInput(f"diversity must be in 0..1, got {diversity}")
        if not 0.0 <= explore <= 0.5:
            raise InvalidInput(f"explore must be in 0..0.5, got {explore}")
        flt = flt or RecFilter()
        live = self.live
        rec_id = new_id()
        with self.lock:
            user = live.user(user_id)
            allowed = self.allowed(flt)
            if within is not None:
                given = np.zeros(len(allowed), dtype=bool)
                given[within] = True
                allowed &= given
            recent = NO_EVENTS
            mine = _NO_ITEMS  # the items of all the shopper's events, sorted
            if user is not None:
                excluded, recent, mine = self.shopper_events.of(user)
                if within is None:
                    allowed[excluded] = False
            explored: set[int] = set()
            if in_control_group(user_id, cfg.control_share, cfg.control_salt):
                strategy = Strategy.CONTROL
                chosen, scores, pinned = self.popular_list(allowed, k, trending=False)
                recent = NO_EVENTS  # the control group's answers say only what is popular
            elif not recent and not self.is_known(user):
                strategy = Strategy.COLD_START
                chosen, scores, pinned = self.popular_list(allowed, k, trending=True)
            else:
                strategy = Strategy.PERSONALIZED
                chosen, scores, explored = personal(
                    self, user, recent, allowed, k, diversity, explore, rec_id
                )
                self.bandit.showed(rec_id, sorted(explored))
                chosen, scores, pinned = apply_pins(live, cfg.rules, chosen, scores, allowed, k)
            return answer_with_reasons(
                self, Asked(user, user_id, rec_id, strategy), recent, mine, chosen, scores,
                explored, pinned, writer,
            )  # fmt: skip

    def popular_list(
        self, allowed: np.ndarray, k: int, trending: bool
    ) -> tuple[np.ndarray, np.ndarray, set[int]]:
        """The most trending (or popular) allowed items and their decayed interest, through
        the rules and freshness like every list (:meth:`.policy.Policy.finish`), and which of
        them the pins placed."""
        chosen = self.popularity.popular(allowed, self.policy.shortlist(k), trending)
        activity = self.live.activity
        scores = activity.trending_now(chosen) if trending else activity.popular_now(chosen)
        return self.policy.finish(chosen, scores, allowed, k)

    def answer_stamp(self, user_id: str) -> tuple[Any, ...]:
        """What a reusable answer for this shopper depends on besides the request: their
        events, the catalogue, the rules, the control share, and the privacy deletes (another
        shopper's id may be on a path)."""
        live = self.live
        return (
            live.user_versions.get(user_id, 0),
            live.catalogue_version,
            len(live.forgotten),
            tuple(self.config.rules),
            self.config.control_share,
        )

    # -- precomputed candidates --------------------------------------------------------------
    def precompute_candidates(self) -> int:
        """Store every shopper's scoring vector and best items (:func:`.shoppers.precompute`)."""
        return precompute(self)

    def prepare_views(self) -> None:
        """Build every item's view, path node and popularity reasons, every shopper's, brand's
        and category's node, every item's shopper set and the stacked relationships now, at
        load, rather than on first use: made before the server freezes what it loaded
        (``gc.freeze``), they stay out of the cyclic garbage collector's way. Made while
        serving, 100,000 such objects made each full collection a 100 ms pause in the middle of
        requests."""
        live = self.live
        live.links()  # the stacked relationships, derived once
        for item in range(live.num_items):
            self.item(item)
            live.shopper_set(item)
        self.explainer.prepare(self.config.precompute_users)
        self._compile_kernels()

    def _compile_kernels(self) -> None:
        """Compile the request loops for the arrays they will get (a few seconds, or read from
        numba's cache on disk) now rather than in the first requests."""
        live = self.live
        warm_up(self.vectors, live.evidence_links(), self.scratch(), self.neighbours)
        self.popularity.popular(np.zeros(live.num_items, dtype=bool), 1)
        self.explainer.decide(None, NO_EVENTS, [], 1, weight=np.zeros((0, 0)))
        if self.neighbours is not None:
            none = np.zeros(0, dtype=np.int64)
            item_item_parts(self.neighbours, none, np.zeros(0), none, self.scratch().slot,
                            np.zeros((0, 0)))  # fmt: skip

    def candidate_stamp(self, num_items: int | None = None) -> tuple[Any, ...]:
        """What the precomputed candidates depend on. Not prices or stock: filters apply per
        request; but a new item could belong among anyone's candidates (see
        :meth:`StoredCandidates.add_item`)."""
        cfg = self.config
        return (
            self.live.num_items if num_items is None else num_items,
            cfg.candidates,
            cfg.session_weight,
            cfg.session_half_life,
            cfg.session_items,
        )

    @property
    def trending_days(self) -> int:
        return self.explainer.trending_days

    def popularity_reason(self, item: int, trending: bool) -> Reason:
        return self.explainer.popularity_reason(item, trending)

    def explain(self, user_id: str, item_id: str, every: bool = False) -> list[Reason]:
        """The reasons the shopper's recommendations give the item, read from the same recent
        items; with ``every``, every supporting path after them. An unknown shopper or item is
        not found (not explained by popularity)."""
        item = self.item_index(item_id)
        with self.lock:
            user = self.live.user(user_id)
            if user is None:
                raise NotFound(f"no shopper with id {user_id!r}")
            _, recent, mine = self.shopper_events.of(user)
            limit = self.config.max_reasons
            weight = None
            if self.config.attribute_reasons:
                weight = contributions(self, user, recent, np.array([item]))
            return self.explainer.explain(user, recent, mine, item, limit, every, weight)

    def evidence(self, user_id: str, recent: Recent, item: int) -> list[Reason]:
        """Paths from ``recent`` to ``item``, the strongest of each kind, strongest first."""
        return self.explainer.evidence(user_id, recent, item)

    def top_shoppers(self, k: int) -> list[str]:
        """The shoppers with the most events (a picker for demos and merchandisers)."""
        check_k(k)
        return top_shoppers(self.live, k)


def new_id() -> str:
    """A recommendation id: 128 random bits in hex, as uuid4's but 7x cheaper to make."""
    return os.urandom(16).hex()


def check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be in 1..{MAX_K}, got {k}")


_NO_ITEMS = np.zeros(0, dtype=np.int64)
