"""Ranking: a shopper's scoring vector, and the pool of candidates ranked by it.

The score of an item is the model's user-item score blended with a session signal (the
recency-weighted mean of the shopper's recent items, half weight every ``session_half_life``
items), plus, for a model with item-item weights, their sum over the shopper's items as they
are now (:meth:`Engine.history_scores`), z-scored over the pool, plus ``graph_weight`` times
the evidence of the graph (bought-with shoppers), plus the rules' boosts and burials; then MMR
and exploration re-rank (:mod:`graphrec.serving.reranking`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from graphrec.serving.candidates import Popularity, StoredCandidates, top_k
from graphrec.serving.compiled import Csr, Scratch
from graphrec.serving.events import Recent
from graphrec.serving.exploration import Bandit
from graphrec.serving.kernels import Blend, Start, rank_pool
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig
from graphrec.serving.policy import Policy
from graphrec.serving.reranking import mmr, place_exploration

_NO_ITEMS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)


class Ranked(Protocol):
    """What ranking reads of the engine (:class:`graphrec.serving.engine.Engine`)."""

    config: EngineConfig
    live: LiveGraph
    vectors: np.ndarray
    unit: np.ndarray
    user_vectors: np.ndarray
    popularity: Popularity
    stored: StoredCandidates
    has_vector: np.ndarray
    bandit: Bandit
    policy: Policy

    def is_known(self, user: int | None) -> bool: ...

    def candidate_stamp(self, num_items: int | None = None) -> tuple[Any, ...]: ...

    def history_scores(self, user: int | None) -> np.ndarray: ...

    def scratch(self) -> Scratch: ...


def user_query(engine: Ranked, user: int | None, recent: Recent) -> tuple[np.ndarray, bool]:
    """The scoring vector: the model's user vector plus the session signal."""
    cfg = engine.config
    query = np.zeros(engine.vectors.shape[1], dtype=np.float32)
    known = engine.is_known(user)
    if known:
        query += engine.user_vectors[user]  # type: ignore[index]
    if recent and cfg.session_weight > 0:
        weights = session_weights(len(recent), cfg.session_half_life)
        session = weights @ engine.unit[recent.items]
        scale = float(np.linalg.norm(query)) if known else 1.0
        query += cfg.session_weight * max(scale, 1e-6) * session.astype(np.float32)
    return query, known


def personal(
    engine: Ranked,
    user: int | None,
    recent: Recent,
    allowed: np.ndarray,
    k: int,
    diversity: float,
    explore: float,
    rec_id: str,
) -> tuple[np.ndarray, np.ndarray, set[int]]:
    cfg = engine.config
    live = engine.live
    wanted = max(cfg.candidates, k * 3)
    sources = recent.items[:5]
    categories = {c for item in sources.tolist() for c in live.item_categories[item]}
    trending = (
        np.concatenate([engine.popularity.category_trending(c) for c in categories])
        if categories
        else _NO_ITEMS
    )
    links = live.evidence_links()
    adjust = engine.policy.adjust()
    n_explore = int(round(k * explore))
    n_rank = k - n_explore
    # the pool's best in order: those ranked, or those MMR re-ranks
    top = max(k * 5, 50) if diversity > 0 else n_rank
    history = engine.history_scores(user)
    # an item the model gives neither a vector nor, for this shopper, an item-item weight has
    # no score: it is never ranked as if it had one (at 0, above the items scored below 0)
    scoreless = ~engine.has_vector[: len(allowed)]
    if len(history):
        scoreless &= history[: len(allowed)] == 0
    explorable = allowed  # exploration may show what the model cannot score yet
    allowed = allowed & ~scoreless
    blend = Blend(
        wanted, top, allowed, Csr(links.indptr, links.indices, links.data), sources, trending,
        engine.vectors, history, cfg.graph_weight, _NO_SCORES if adjust is None else adjust,
        engine.scratch(),
    )  # fmt: skip
    ready = engine.stored.of(user, engine.candidate_stamp())
    ok = False
    if ready is not None:  # the shopper as loaded: their ranked candidates are stored
        query, ranked, ranked_scores = ready
        complete = len(ranked) == live.num_items
        pool, z, ok = rank_pool(Start(ranked, ranked_scores, query, complete), blend)
    if not ok:  # too few of the stored candidates are allowed, or none are stored
        query, _ = user_query(engine, user, recent)
        raw = engine.vectors @ query
        if len(history):
            raw += history
        raw[~allowed] = -np.inf
        fresh = top_k(raw, wanted).astype(np.int32)  # as the stored candidates are
        pool, z, ok = rank_pool(Start(fresh, raw[fresh], query, True), blend)
    if len(pool) == 0:
        return pool, np.zeros(0), set()
    n_rank = min(n_rank, len(pool))
    picked = None
    if diversity > 0:
        picked = mmr(engine.unit[pool[:top]], z[:top], n_rank, diversity)
        chosen, chosen_scores = pool[picked].tolist(), z[picked].tolist()
    else:  # the best n_rank as they are
        chosen, chosen_scores = pool[:n_rank].tolist(), z[:n_rank].tolist()
    if n_explore and cfg.explore_max_age_days > 0:  # new items may be explored beyond the pool
        pool, z = with_young_items(engine, pool, z, explorable)
    choose = exploration_choice(engine, pool) if cfg.explore_bandit else None
    picks = place_exploration(
        rec_id, pool, z, chosen, chosen_scores, picked if diversity > 0 else None, k, n_explore,
        choose,
    )  # fmt: skip
    return np.asarray(chosen, dtype=np.int64), np.asarray(chosen_scores), set(picks)


#: Young items added to the pool for exploration (the most trending first).
YOUNG_EXTRA = 100


def with_young_items(
    engine: Ranked, pool: np.ndarray, z: np.ndarray, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pool, then up to :data:`YOUNG_EXTRA` allowed young items not in it (the most
    trending first; those the model has no score for included), scored as the pool's last,
    for exploration to draw from."""
    extra = engine.policy.young() & allowed
    extra[pool] = False
    places = np.flatnonzero(extra)
    if not len(places):
        return pool, z
    trend = engine.live.activity.trend_score[places]
    places = places[np.argsort(-trend, kind="stable")[:YOUNG_EXTRA]]
    low = float(z.min()) if len(z) else 0.0
    return np.concatenate([pool, places]), np.concatenate([z, np.full(len(places), low)])


def exploration_choice(
    engine: Ranked, pool: np.ndarray
) -> Callable[[str, np.ndarray, int], np.ndarray]:
    """How the exploration slots are chosen from the pool's places: the bandit's draws, items
    within the age cut-off first."""
    cfg = engine.config
    young = engine.policy.young() if cfg.explore_max_age_days > 0 else None

    def choose(seed: str, places: np.ndarray, n: int) -> np.ndarray:
        items = pool[places]
        return engine.bandit.choose(seed, items, n, None if young is None else young[items])

    return choose


@functools.lru_cache(maxsize=256)
def session_weights(n: int, half_life: float) -> np.ndarray:
    """Recency weights of the ``n`` newest distinct items (half weight every ``half_life``),
    summing to 1, as float32 for the product with the unit vectors."""
    weights = 0.5 ** (np.arange(n) / half_life)
    return (weights / weights.sum()).astype(np.float32)
