"""Re-ranking: business rules (boost, bury, pin), diversity (MMR) and exploration slots.

The ranked pool comes from :mod:`graphrec.serving.engine`; these steps reorder it. Boosts and
burials are folded into the ranking as one score per item (:meth:`.policy.Policy.adjust`), pins
are placed after it (:func:`apply_pins`); MMR trades relevance for diversity; exploration gives a
share of the slots to items further down the pool, drawn as a pure function of the answer's id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from graphrec.rules import Rule
from graphrec.serving.filters import items_under
from graphrec.serving.live import LiveGraph

_MASK64 = (1 << 64) - 1


def rule_mask(live: LiveGraph, rule: Rule) -> np.ndarray:
    """The items a rule names: one item, a brand's, or a category's and those below it."""
    kind, target = rule.target
    if kind == "item":
        mask = np.zeros(live.num_items, dtype=bool)
        if target in live.item_index:
            mask[live.item_index[target]] = True
        return mask
    if kind == "brand":
        brand = live.brand_index.get(target, -2)
        return np.asarray(live.brand) == brand
    category = live.category_index.get(target)
    if category is None:
        return np.zeros(live.num_items, dtype=bool)
    return items_under(live, {category})


def apply_pins(
    live: LiveGraph,
    rules: list[Rule],
    chosen: np.ndarray,
    scores: np.ndarray,
    allowed: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """The first ``k`` of ``chosen`` with each pinned (allowed) item at its position; and
    which items the pins placed."""
    pins = [r for r in rules if r.action == "pin" and r.item is not None]
    if not pins:
        return chosen[:k], scores[:k], _NONE
    items, values = list(chosen[:k]), list(scores[:k])
    pinned: set[int] = set()
    for rule in sorted(pins, key=lambda r: r.position):
        index = live.item_index.get(rule.item or "")
        if index is None or not allowed[index]:
            continue
        if index in items:
            at = items.index(index)
            items.pop(at)
            values.pop(at)
        position = min(rule.position - 1, len(items))
        items.insert(position, index)
        values.insert(position, values[0] if values else 0.0)
        pinned.add(index)
    return np.asarray(items[:k], dtype=np.int64), np.asarray(values[:k]), pinned


_NONE: set[int] = set()  # shared, never changed


def place_exploration(
    seed: str,
    pool: np.ndarray,
    z: np.ndarray,
    chosen: list[int],
    chosen_scores: list[float],
    picked: np.ndarray | None,
    k: int,
    n_explore: int,
    choose: Callable[[str, np.ndarray, int], np.ndarray] | None = None,
) -> list[int]:
    """Put ``n_explore`` items of the pool that were not chosen into ``chosen`` (and their
    scores ``z`` into ``chosen_scores``), evenly spaced; returns them. ``picked``: the pool's
    places MMR chose, or None when ``chosen`` is the pool's head. ``choose(seed, places, n)``:
    which ``n`` of those places (positions into ``places``), by default uniformly at random
    (:func:`sample`); :class:`.exploration.Bandit` learns from outcomes."""
    if not n_explore:
        return []
    if picked is not None:
        free = np.ones(len(pool), dtype=bool)
        free[picked] = False
        rest: Sequence[int] = np.flatnonzero(free).tolist()
    else:
        rest = range(len(chosen), len(pool))  # the others, in the order they joined
    if choose is not None:
        places = np.asarray(rest, dtype=np.int64)
        take = places[choose(seed, places, min(n_explore, len(rest)))].tolist()
    else:
        take = sample(seed, rest, min(n_explore, len(rest)))
    picks: list[int] = pool[take].tolist()
    step = max(k // max(n_explore, 1), 1)
    for slot, (item, r) in enumerate(zip(picks, take, strict=True)):
        position = min(step * (slot + 1) - 1, len(chosen))
        chosen.insert(position, item)
        chosen_scores.insert(position, float(z[r]))
    return picks


def sample(seed: str, population: Sequence[int], n: int) -> list[int]:
    """``n`` distinct members of ``population``, each ordered draw equally likely, a pure
    function of ``seed`` (one recommendation id always has the same exploration slots): a
    partial Fisher-Yates shuffle (swaps kept in a dict) over a splitmix64 stream, a few
    microseconds where seeding ``random.Random`` took ten."""
    state = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    size = len(population)
    swapped: dict[int, int] = {}
    out: list[int] = []
    for i in range(min(n, size)):
        state = (state + 0x9E3779B97F4A7C15) & _MASK64
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        j = i + (z ^ (z >> 31)) % (size - i)
        out.append(population[swapped.get(j, j)])
        swapped[j] = swapped.get(i, i)
    return out


def mmr(unit: np.ndarray, relevance: np.ndarray, k: int, diversity: float) -> np.ndarray:
    """Maximal marginal relevance (Carbonell & Goldstein, 1998) over a pool sorted by relevance."""
    n = min(len(relevance), max(k * 5, 50))
    rel = relevance[:n]
    rel = (rel - rel.min()) / (rel.max() - rel.min() + 1e-9)
    sims = unit[:n] @ unit[:n].T
    chosen = [0]
    closest = sims[0].copy()
    available = np.ones(n, dtype=bool)
    available[0] = False
    while len(chosen) < min(k, n):
        value = (1 - diversity) * rel - diversity * closest
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        closest = np.maximum(closest, sims[pick])
    return np.asarray(chosen, dtype=np.int64)
