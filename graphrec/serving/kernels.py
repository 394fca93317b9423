"""Compiled loops of the request path (numba, compiled at load and cached on disk).

Each replaces a chain of numpy calls on small arrays, or Python loops, whose per-call overhead,
not their arithmetic, was the cost: ranking a shopper's candidates took about 35 numpy calls,
0.2 ms of the 0.75 ms an answer cost; as one loop it takes 70-85 us in the server, most of it
reading item vectors that are not in the CPU's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, uintp

# the reason codes of :func:`choose_reasons` (``reasons.KINDS`` defines them)
from graphrec.serving.reasons import (
    EXPLORATION,
    POPULAR,
    SAME_BRAND,
    SIMILAR_SHOPPERS,
    TRENDING,
    UNCHOSEN,
)


def _compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled, its machine code cached on disk where numba finds a writable
    place (beside the source, or the user's cache directory), else compiled at each start."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(nogil=True)(function)


@njit(nogil=True, inline="always")
def _join(item: int, count: int, slot: np.ndarray, items: np.ndarray) -> int:
    """``item`` joins the pool at place ``count`` (scored later, see :func:`_score`); returns
    the pool's new size."""
    slot[item] = count
    items[count] = item
    return count + 1


@njit(nogil=True, inline="always")
def _score(
    items: np.ndarray, values: np.ndarray, first: int, vectors: np.ndarray, query: np.ndarray
) -> None:
    """``values[first:]``: each item's vector . ``query``, float32 products summed in float64
    in the order of the dimensions, stored as float32 (as the stored scores are). Four items at
    a time: each sum is a chain of dependent additions, and four independent chains keep the
    CPU's adders busy (the same sums, 3-4x faster); indices unsigned, so unchecked."""
    dims = uintp(len(query))
    count = len(items)
    i = first
    while i + 4 <= count:
        r0, r1 = vectors[uintp(items[i])], vectors[uintp(items[i + 1])]
        r2, r3 = vectors[uintp(items[i + 2])], vectors[uintp(items[i + 3])]
        t0 = t1 = t2 = t3 = 0.0
        for d in range(dims):
            q = query[d]
            t0 += r0[d] * q
            t1 += r1[d] * q
            t2 += r2[d] * q
            t3 += r3[d] * q
        values[i], values[i + 1] = np.float32(t0), np.float32(t1)
        values[i + 2], values[i + 3] = np.float32(t2), np.float32(t3)
        i += 4
    while i < count:
        row = vectors[uintp(items[i])]
        total = 0.0
        for d in range(dims):
            total += row[d] * query[d]
        values[i] = np.float32(total)
        i += 1


@njit(nogil=True, inline="always")
def _insert(best: np.ndarray, key: np.ndarray, size: int, index: int, value: float) -> int:
    """``index`` (scored ``value``) into the short list ``best`` of the largest so far, kept
    largest first with their scores in ``key`` (ties: the earlier stays ahead); ``size`` of
    its ``len(best)`` places (at least one) are taken. Returns the new size."""
    places = len(best)
    if size == places and value <= key[size - 1]:
        return size
    at = size if size < places else places - 1
    while at > 0 and value > key[at - 1]:
        best[at], key[at] = best[at - 1], key[at - 1]
        at -= 1
    best[at], key[at] = index, value
    return size + 1 if size < places else size


@_compiled
def rank_pool(
    ranked: np.ndarray,  # int32: candidates best first (precomputed or fresh)
    ranked_scores: np.ndarray,  # float32: their model scores
    query: np.ndarray,  # float32 shopper query vector
    complete: bool,  # ``ranked`` holds every item: a short pool cannot be refilled
    wanted: int,
    top: int,  # how many of the best come first in order
    allowed: np.ndarray,  # bool per item
    indptr: np.ndarray,  # the evidence links (CSR, positive float64 values)
    indices: np.ndarray,
    data: np.ndarray,
    sources: np.ndarray,  # int64: the recent items whose links add candidates and evidence
    trending: np.ndarray,  # int64: trending items of the shopper's categories
    vectors: np.ndarray,  # float32 item vectors, for candidates outside ``ranked``
    graph_weight: float,
    adjust: np.ndarray,  # float64 rule adjustment per item, or empty
    slot: np.ndarray,  # int32 scratch per item, all -1 on entry and on return
    evidence: np.ndarray,  # float64 scratch per item, all 0 on entry and on return
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The candidate pool and its blended scores: the ``top`` best first, best first, then
    the others in the order they joined the pool.

    The pool is, in this order, the first ``wanted`` allowed items of ``ranked``, the allowed
    neighbours of ``sources`` in the evidence links (in link order) and the allowed
    ``trending`` items, each once. Scores are the model scores z-normalised over the pool, plus
    ``graph_weight`` times each item's graph evidence (the largest link from a source, log1p,
    scaled so the strongest is 1), plus ``adjust``. Equal scores keep the pool's order.
    Returns ``(pool, scores, True)``, or ``(_, _, False)`` when fewer than ``wanted`` of
    ``ranked`` are allowed and ``ranked`` is not ``complete``: the caller then ranks afresh.
    Only the best need ordering (the rest is what exploration draws from, uniformly): a full
    sort was half of this function's time.
    """
    capacity = wanted + len(trending)
    for s in sources:
        capacity += indptr[s + 1] - indptr[s]
    items = np.empty(capacity, dtype=np.int64)
    values = np.empty(capacity, dtype=np.float64)
    count = 0
    for i in range(len(ranked)):
        if count == wanted:
            break
        item = ranked[i]
        if allowed[item] and slot[item] < 0:
            slot[item] = count
            items[count] = item
            values[count] = ranked_scores[i]
            count += 1
    ok = count >= wanted or complete
    if ok:
        ranked_count = count
        for s in sources:
            for p in range(indptr[s], indptr[s + 1]):
                item = indices[p]
                if data[p] > evidence[item]:
                    evidence[item] = data[p]
                if allowed[item] and slot[item] < 0:
                    count = _join(item, count, slot, items)
        for item in trending:
            if allowed[item] and slot[item] < 0:
                count = _join(item, count, slot, items)
        _score(items[:count], values[:count], ranked_count, vectors, query)
    bonus = np.empty(count, dtype=np.float64)
    strongest = 0.0
    for i in range(count):
        slot[items[i]] = -1  # the scratch back to rest
        bonus[i] = np.log1p(evidence[items[i]])
        strongest = max(strongest, bonus[i])
    for s in sources:
        for p in range(indptr[s], indptr[s + 1]):
            evidence[indices[p]] = 0.0
    pool, z = items[:count], values[:count]
    if not ok or count == 0:
        return pool, z, ok
    mean = z.sum() / count
    z -= mean
    z /= np.sqrt((z * z).sum() / count) + 1e-9
    if strongest > 0:
        z += graph_weight * bonus / strongest
    if len(adjust):
        for i in range(count):
            z[i] += adjust[pool[i]]
    # the best ``top`` by insertion into a short sorted list (ties: the earlier stays ahead)
    top = min(top, count)
    best = np.empty(top, dtype=np.int64)
    key = np.empty(top, dtype=np.float64)
    size = 0
    for i in range(count if top > 0 else 0):
        size = _insert(best, key, size, i, z[i])
    order = np.empty(count, dtype=np.int64)
    taken = np.zeros(count, dtype=np.bool_)
    for j in range(top):
        order[j] = best[j]
        taken[best[j]] = True
    at = top
    for i in range(count):
        if not taken[i]:
            order[at] = i
            at += 1
    return pool[order], z[order], True


@_compiled
def reason_sources(
    indptr: np.ndarray,  # item-item relationships (CSR, n x kinds*n: kind c at column c*n + j)
    indices: np.ndarray,
    data: np.ndarray,
    sources: np.ndarray,  # int64: the recent items, newest first
    items: np.ndarray,  # int64: the items to explain
    kinds: int,
    brand: np.ndarray,  # int64 per item, -1 for none
    category_indptr: np.ndarray,  # each item's categories (CSR, in the item's order)
    category_indices: np.ndarray,
    slot: np.ndarray,  # int32 scratch per item, all -1 on entry and on return
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each of ``items``' reasons could come from, as positions in ``sources``.

    Returns ``(position, value, link, category)``. ``position`` has a row per relationship kind
    (the source of the strongest edge to the item, the newest on ties; -1 when none) and
    two more: the newest source of the item's brand, and the newest source sharing one of
    its categories (the earliest of its categories on ties), neither being the item itself.
    ``value`` holds the edges' values, ``link`` their positions in ``indices``; ``category``,
    the category shared.
    """
    n = len(slot)
    count = len(items)
    position = np.full((kinds + 2, count), -1, dtype=np.int64)
    value = np.zeros((kinds, count), dtype=np.float64)
    link = np.full((kinds, count), -1, dtype=np.int64)
    category = np.full(count, -1, dtype=np.int64)
    for j in range(count):
        if slot[items[j]] < 0:  # an item asked twice: its first place answers
            slot[items[j]] = j
    for at in range(len(sources)):
        s = sources[at]
        for p in range(indptr[s], indptr[s + 1]):
            kind, other = divmod(indices[p], n)
            j = slot[other]
            if j >= 0 and (position[kind, j] < 0 or data[p] > value[kind, j]):
                position[kind, j] = at
                value[kind, j] = data[p]
                link[kind, j] = p
    for j in range(count):
        item = items[j]
        slot[item] = -1
        mark = brand[item]
        if mark >= 0:
            for at in range(len(sources)):
                if sources[at] != item and brand[sources[at]] == mark:
                    position[kinds, j] = at
                    break
        for q in range(category_indptr[item], category_indptr[item + 1]):
            wanted = category_indices[q]
            for at in range(len(sources)):
                if position[kinds + 1, j] >= 0 and at >= position[kinds + 1, j]:
                    break  # cannot be newer than the one found
                s = sources[at]
                if s == item:
                    continue
                shared = False
                for r in range(category_indptr[s], category_indptr[s + 1]):
                    if category_indices[r] == wanted:
                        shared = True
                        break
                if shared:
                    position[kinds + 1, j] = at
                    category[j] = wanted
                    break
    return position, value, link, category


@_compiled
def shopper_events(
    items: np.ndarray,  # int64: the shopper's events' items, newest first
    kinds: np.ndarray,  # int64: their kinds' codes
    keep: np.ndarray,  # bool per code: a kind that does not exclude its item (a view)
    skip: int,  # the code of "not interested" (-1: none)
    limit: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What an answer needs of a shopper's events, in one pass: the items they had (an event
    of a kind not kept: not to be recommended again), the places of their newest ``limit``
    distinct items (not counting "not interested" events), and all their items, sorted."""
    count = len(items)
    excluded = np.empty(count, dtype=np.int64)
    n_excluded = 0
    recent = np.empty(min(count, max(limit, 0)), dtype=np.int64)
    n_recent = 0
    for at in range(count):
        item, kind = items[at], kinds[at]
        if kind < 0 or kind >= len(keep) or not keep[kind]:
            excluded[n_excluded] = item
            n_excluded += 1
        if n_recent == len(recent) or kind == skip:
            continue
        seen = False
        for r in range(n_recent):
            if items[recent[r]] == item:
                seen = True
                break
        if not seen:
            recent[n_recent] = at
            n_recent += 1
    return excluded[:n_excluded], recent[:n_recent], np.sort(items)


@_compiled
def lowest_common(
    indptr: np.ndarray,  # item-item relationships (CSR, n x kinds*n: kind c at column c*n + j)
    indices: np.ndarray,
    kind: int,
    shoppers_indptr: np.ndarray,  # each item's shoppers (CSR, ascending)
    shoppers_indices: np.ndarray,
) -> np.ndarray:
    """For each stored relationship of ``kind`` between items i and j: the lowest-numbered
    shopper of both (-1 for other kinds, or none), by merging their sorted shopper lists."""
    n = len(indptr) - 1
    out = np.full(len(indices), -1, dtype=np.int32)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            code, j = divmod(indices[p], n)
            if code != kind:
                continue
            a, a_end = shoppers_indptr[i], shoppers_indptr[i + 1]
            b, b_end = shoppers_indptr[j], shoppers_indptr[j + 1]
            while a < a_end and b < b_end:
                if shoppers_indices[a] == shoppers_indices[b]:
                    out[p] = shoppers_indices[a]
                    break
                if shoppers_indices[a] < shoppers_indices[b]:
                    a += 1
                else:
                    b += 1
    return out


@_compiled
def top_allowed(
    first: np.ndarray, second: np.ndarray, weight: float, allowed: np.ndarray, k: int
) -> np.ndarray:
    """Indices of the ``k`` largest ``first + weight * second`` among the allowed items, best
    first, ties by index: one pass keeping a short sorted list (no full-catalogue temporaries,
    partition and sort)."""
    best = np.empty(max(k, 0), dtype=np.int64)
    key = np.empty(max(k, 0), dtype=np.float64)
    size = 0
    for i in range(len(first) if k > 0 else 0):
        if allowed[i]:
            value = first[i] + weight * second[i]
            if np.isfinite(value):
                size = _insert(best, key, size, i, value)
    return best[:size]


#: The row of :func:`reason_sources`' ``position`` each evidence code reads.
SOURCE_ROW = np.array([0, 2, 1, 3, 4], dtype=np.int64)


@njit(nogil=True, inline="always")
def _has(sorted_values: np.ndarray, value: int) -> bool:
    at = np.searchsorted(sorted_values, value)
    return bool(at < len(sorted_values) and sorted_values[at] == value)


@_compiled
def common_shoppers(
    position: np.ndarray,  # reason_sources' rows for co-interactions: source position per item
    value: np.ndarray,  # ... the co-interaction count
    link: np.ndarray,  # ... its place in the stacked relationships
    sources: np.ndarray,  # int64: the recent items
    items: np.ndarray,  # int64: the items explained
    counts: np.ndarray,  # the stacked relationships' values
    lowest: np.ndarray,  # int32 parallel to them: the lowest shopper of each co-interaction
    user: int,  # the shopper (-1: none, so no such reasons)
    mine: np.ndarray,  # int64 sorted: the items of all the shopper's events (empty: not known)
    touched: np.ndarray,  # bool per item: its shoppers changed since load
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each item whose co-interaction with a recent item can be a reason: the
    lowest-numbered other shopper who had both, and how many other shoppers did, from what was
    stored at load (see ``LiveGraph.common_shopper``, which this follows). Returns
    ``(other, together, unresolved)``: ``together`` is 0 where there is no such reason;
    ``unresolved`` holds the places (in order) of the items the stored values cannot answer (an
    item changed since load, the shopper's items unknown, or the shopper is the lowest): the
    caller asks the live graph.
    """
    count = len(items)
    other = np.full(count, -1, dtype=np.int64)
    together = np.zeros(count, dtype=np.int64)
    unresolved = np.empty(count, dtype=np.int64)
    n = 0
    if user < 0:
        return other, together, unresolved[:0]
    for j in range(count):
        at, item = position[j], items[j]
        if at < 0 or value[j] <= 0 or sources[at] == item:
            continue
        p = link[j]
        if p < 0 or len(mine) == 0 or touched[sources[at]] or touched[item]:
            unresolved[n] = j
            n += 1
            continue
        shared, shopper = int(counts[p]), lowest[p]
        if _has(mine, item):  # the shopper had both: not another shopper
            shared -= 1
            if shopper == user and shared > 0:
                unresolved[n] = j
                n += 1
                continue
        if shared > 0:
            other[j] = shopper
            together[j] = shared
    return other, together, unresolved[:n]


@_compiled
def choose_reasons(
    position: np.ndarray,  # reason_sources' ``position``
    value: np.ndarray,  # reason_sources' ``value``
    sources: np.ndarray,  # int64: the recent items
    items: np.ndarray,  # int64: the items explained
    together: np.ndarray,  # int64 per item: common_shoppers' counts (0: none)
    limit: int,
    explored: np.ndarray,  # bool per item (or empty): exploration filled the slot
    fill: bool,  # end with the popularity reason when there are fewer than ``limit``
    trending: bool,  # ... the trending one where the item trends
    trend: np.ndarray,  # float64 per item
    shoppers: np.ndarray,  # float64 per item
    category_indptr: np.ndarray,  # each item's categories (CSR)
) -> np.ndarray:
    """Each item's reasons as codes (see above), strongest first, -1 after: exploration when
    it filled the slot, then each kind of evidence that exists, in priority order, then the
    popularity reason; at most ``limit`` (exploration is kept even at 0)."""
    count = len(items)
    chosen = np.full((count, max(limit, 1)), -1, dtype=np.int64)
    for j in range(count):
        item = items[j]
        n = 0
        if len(explored) and explored[j]:
            chosen[j, 0] = EXPLORATION
            n = 1
        for code in range(5):
            if n >= limit:
                break
            row = SOURCE_ROW[code]
            if code == SIMILAR_SHOPPERS:
                found = together[j] > 0
            elif code < SAME_BRAND:
                at = position[row, j]
                found = at >= 0 and value[row, j] > 0 and sources[at] != item
            else:
                found = position[row, j] >= 0
            if found:
                chosen[j, n] = code
                n += 1
        if fill and n < limit:
            if trending and trend[item] > 0 and category_indptr[item + 1] > category_indptr[item]:
                chosen[j, n] = TRENDING
            elif shoppers[item] != 0:
                chosen[j, n] = POPULAR
            else:
                chosen[j, n] = UNCHOSEN
    return chosen
