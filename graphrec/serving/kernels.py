"""Compiled loops of the ranking path (numba, compiled at load and cached on disk).

Each replaces a chain of numpy calls on small arrays, or Python loops, whose per-call overhead,
not their arithmetic, was the cost: ranking a shopper's candidates took about 35 numpy calls,
0.2 ms of the 0.75 ms an answer cost; as one loop it takes 70-85 us in the server, most of it
reading item vectors that are not in the CPU's cache. The reasons' loops are in
:mod:`.reason_kernels`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit, uintp

from graphrec.serving.compiled import Csr, Scratch, compiled


class Start(NamedTuple):
    """A shopper's candidates to start from (stored at load, or ranked afresh)."""

    ranked: np.ndarray  # int32: candidates best first
    scores: np.ndarray  # float32: their model scores
    query: np.ndarray  # float32: the shopper's query vector
    complete: bool  # ``ranked`` holds every item: a short pool cannot be refilled


class Blend(NamedTuple):
    """What :func:`rank_pool` adds to them and how it blends the scores."""

    wanted: int  # candidates taken from ``Start.ranked``
    top: int  # how many of the best come first in order
    allowed: np.ndarray  # bool per item
    links: Csr  # the evidence links (positive float64 values)
    sources: np.ndarray  # int64: the recent items whose links add candidates and evidence
    trending: np.ndarray  # int64: trending items of the shopper's categories
    vectors: np.ndarray  # float32 item vectors, for candidates outside ``ranked``
    history: np.ndarray  # float32 per item: the item-item part of its score, or empty
    graph_weight: float
    adjust: np.ndarray  # float64 rule adjustment per item, or empty
    scratch: Scratch


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


@compiled
def rank_pool(start: Start, blend: Blend) -> tuple[np.ndarray, np.ndarray, bool]:
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
    ranked, ranked_scores, query, complete = start
    (
        wanted,
        top,
        allowed,
        links,
        sources,
        trending,
        vectors,
        history,
        graph_weight,
        adjust,
        scratch,
    ) = blend
    indptr, indices, data = links
    slot, evidence = scratch
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
        if len(history):
            for i in range(ranked_count, count):
                values[i] += history[items[i]]
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


@compiled
def history_scores(
    items: np.ndarray,  # int64: the shopper's events' items, newest first
    kinds: np.ndarray,  # int64: their kinds' codes
    times: np.ndarray,  # int64: their times
    skip: int,  # the code of "not interested" (-1: none)
    half_life: float,  # 0: every item weighs 1
    neighbours: Csr,  # item x item weights (rows beyond its size: items without any)
    slot: np.ndarray,  # int32 scratch per item, -1 at rest (put back)
    out: np.ndarray,  # float32 per item, zeros: receives the scores
) -> None:
    """The item-item part of a shopper's scores: each distinct item's row of ``neighbours``
    times its recency weight ``0.5 ** (rank / half_life)``, ``rank`` the number of the
    shopper's items newer than it (items of the same time share one), as
    :func:`graphrec.models.base.recency_weights` weighs them offline."""
    indptr, indices, data = neighbours
    rows = len(indptr) - 1
    taken = np.empty(len(items), dtype=np.int64)
    count = 0
    rank = 0
    newest = 0
    for at in range(len(items)):
        item = items[at]
        if kinds[at] == skip or slot[item] >= 0:
            continue
        slot[item] = 0
        taken[count] = item
        if count == 0 or times[at] != newest:
            rank, newest = count, times[at]
        count += 1
        weight = 1.0 if half_life <= 0 else 0.5 ** (rank / half_life)
        if item < rows:
            for p in range(indptr[item], indptr[item + 1]):
                out[indices[p]] += weight * data[p]
    for i in range(count):
        slot[taken[i]] = -1


@compiled
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


@compiled
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


def warm_up(vectors: np.ndarray, links: Any, scratch: Scratch, neighbours: Csr | None) -> None:
    """Compile the ranking loops for the arrays they will get (a few seconds, or read from
    numba's cache on disk) now rather than in the first requests; ``links``: the evidence
    links (scipy CSR)."""
    count = len(scratch.slot)
    no_items = np.zeros(0, dtype=np.int64)
    start = Start(
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.float32),
        np.zeros(vectors.shape[1], dtype=np.float32),
        True,
    )
    blend = Blend(
        0, 0, np.zeros(count, dtype=np.bool_), Csr(links.indptr, links.indices, links.data),
        no_items, no_items, vectors, np.zeros(0, dtype=np.float32), 0.0, np.zeros(0), scratch,
    )  # fmt: skip
    rank_pool(start, blend)
    if neighbours is not None:
        history_scores(
            no_items, no_items, no_items, -1, 0.0, neighbours, scratch.slot,
            np.zeros(count, dtype=np.float32),
        )  # fmt: skip
