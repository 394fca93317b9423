"""Compiled loops that choose an answer's reasons (numba, compiled at load and cached on disk):
where each item's evidence comes from among the shopper's recent items, the other shoppers who
had both, and which reasons to show. The reason codes come from :data:`.reasons.KINDS`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from graphrec.serving.compiled import Csr, ItemAttributes, compiled
from graphrec.serving.reasons import (
    BECAUSE,
    BOUGHT_WITH,
    EXPLORATION,
    POPULAR,
    SAME_BRAND,
    SIMILAR_SHOPPERS,
    TRENDING,
    UNCHOSEN,
)


class Counts(NamedTuple):
    """The counts popularity reasons show (:mod:`.activity`)."""

    recent: np.ndarray  # float64 per item: shoppers in the trending window
    shoppers: np.ndarray  # float64 per item: shoppers ever


@compiled
def reason_sources(
    links: Csr,  # item-item relationships (n x kinds*n: kind c at column c*n + j)
    kinds: int,
    sources: np.ndarray,  # int64: the recent items, newest first
    items: np.ndarray,  # int64: the items to explain
    attributes: ItemAttributes,
    slot: np.ndarray,  # int32 scratch per item, all -1 on entry and on return
    weight: np.ndarray,  # float64 [items, sources]: what each source adds to the score, or 0x0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each of ``items``' reasons could come from, as positions in ``sources``.

    Returns ``(position, value, link, category)``. ``position`` has a row per relationship kind
    (the source that adds most to the item's score among those with such an edge to it, then
    the strongest edge, then the newest; -1 when none) and three more: the source of the item's
    brand, the source sharing one of its categories (the earliest of its categories), each the
    one that adds most, then the newest, neither being the item itself; and (with ``weight``)
    the source that adds most of all, where it adds something (:data:`TOP_ROW`, from the
    end). Without ``weight``, the strongest edge (then the newest) and the newest. ``value``
    holds the edges' values, ``link`` their positions in ``indices``; ``category``, the
    category shared.
    """
    indptr, indices, data = links
    brand, category_indptr, category_indices = attributes
    n = len(slot)
    count = len(items)
    weighed = weight.shape[0] == count and weight.shape[1] == len(sources) and count > 0
    position = np.full((kinds + 3, count), -1, dtype=np.int64)
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
            if j < 0:
                continue
            was = position[kind, j]
            if was < 0:
                better = True
            elif weighed and weight[j, at] != weight[j, was]:
                better = weight[j, at] > weight[j, was]
            else:
                better = data[p] > value[kind, j]
            if better:
                position[kind, j] = at
                value[kind, j] = data[p]
                link[kind, j] = p
    for j in range(count):
        item = items[j]
        slot[item] = -1
        if weighed:  # the source that adds most (positively), the newest on ties
            for at in range(len(sources)):
                best = position[kinds + 2, j]
                adds = sources[at] != item and weight[j, at] > 0
                if adds and (best < 0 or weight[j, at] > weight[j, best]):
                    position[kinds + 2, j] = at
        mark = brand[item]
        for at in range(len(sources)):
            s = sources[at]
            if s == item:
                continue
            was = position[kinds, j]
            same_brand = mark >= 0 and brand[s] == mark
            if same_brand and (was < 0 or (weighed and weight[j, at] > weight[j, was])):
                position[kinds, j] = at
            was = position[kinds + 1, j]
            if was >= 0 and not (weighed and weight[j, at] > weight[j, was]):
                continue
            shared = -1  # the earliest of the item's categories the source is in
            for q in range(category_indptr[item], category_indptr[item + 1]):
                wanted = category_indices[q]
                for r in range(category_indptr[s], category_indptr[s + 1]):
                    if category_indices[r] == wanted:
                        shared = wanted
                        break
                if shared >= 0:
                    break
            if shared >= 0:
                position[kinds + 1, j] = at
                category[j] = shared
    return position, value, link, category


@compiled
def lowest_common(
    links: Csr,  # item-item relationships (n x kinds*n: kind c at column c*n + j)
    kind: int,
    shoppers: Csr,  # each item's shoppers (ascending)
) -> np.ndarray:
    """For each stored relationship of ``kind`` between items i and j: the lowest-numbered
    shopper of both (-1 for other kinds, or none), by merging their sorted shopper lists."""
    indptr, indices = links.indptr, links.indices
    shoppers_indptr, shoppers_indices = shoppers.indptr, shoppers.indices
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


#: The row of :func:`reason_sources`' ``position`` each evidence code reads; BECAUSE reads
#: the last (``TOP_ROW``, counted from the end).
TOP_ROW = -1
SOURCE_ROW = np.array([0, 2, 1, 3, 4], dtype=np.int64)


@njit(nogil=True, inline="always")
def _has(sorted_values: np.ndarray, value: int) -> bool:
    at = np.searchsorted(sorted_values, value)
    return bool(at < len(sorted_values) and sorted_values[at] == value)


@compiled
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


@compiled
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
    counts: Counts,
    category_indptr: np.ndarray,  # each item's categories (CSR)
    min_support: int,  # the fewest shoppers a count of shoppers is shown with
    distinct: bool,  # no fact twice (off: every path, for explain's every)
    weight: np.ndarray,  # float64 [items, sources]: what each source adds, or 0x0
) -> np.ndarray:
    """Each item's reasons as codes (see above), strongest first, -1 after: exploration when
    it filled the slot, then each kind of evidence that exists, the one whose recent item adds
    most to the item's score first (with ``weight``; equal, or without: in priority order),
    then the popularity reason (with ``weight``: only where no recent item adds to the score,
    popularity being what carried it); at most ``limit`` (exploration is kept even at 0). A count of
    shoppers (bought together, shoppers who chose both) is a reason from ``min_support`` up;
    "shoppers who chose X also chose this" is left out where "bought together with X" says
    it already (the same recent item)."""
    trend, shoppers = counts
    count = len(items)
    weighed = weight.shape[0] == count and weight.shape[1] == len(sources) and count > 0
    chosen = np.full((count, max(limit, 1)), -1, dtype=np.int64)
    found_codes = np.empty(5, dtype=np.int64)
    found_weight = np.empty(5, dtype=np.float64)
    for j in range(count):
        item = items[j]
        n = 0
        if len(explored) and explored[j]:
            chosen[j, 0] = EXPLORATION
            n = 1
        m = 0  # the kinds of evidence that exist, in priority order
        bought = False
        for code in range(5):
            row = SOURCE_ROW[code]
            at = position[row, j]
            if code == SIMILAR_SHOPPERS:
                same = bought and position[SOURCE_ROW[BOUGHT_WITH], j] == at
                found = together[j] >= min_support and not (distinct and same)
            elif code == BOUGHT_WITH:
                found = at >= 0 and value[row, j] >= min_support and sources[at] != item
                bought = found
            elif code < SAME_BRAND:
                found = at >= 0 and value[row, j] > 0 and sources[at] != item
            else:
                found = at >= 0
            if found:
                found_codes[m] = code
                found_weight[m] = weight[j, at] if weighed and at >= 0 else 0.0
                m += 1
        top = position[position.shape[0] - 1, j] if weighed else -1
        if weighed:  # the source that adds most first; equal: priority order
            for a in range(1, m):
                c, w = found_codes[a], found_weight[a]
                b = a
                while b > 0 and found_weight[b - 1] < w:
                    found_codes[b], found_weight[b] = found_codes[b - 1], found_weight[b - 1]
                    b -= 1
                found_codes[b], found_weight[b] = c, w
        if top >= 0 and n < limit and (m == 0 or found_weight[0] < weight[j, top]):
            chosen[j, n] = BECAUSE  # what adds most has no relationship to say it: say it so
            n += 1
        for a in range(m):
            if n >= limit:
                break
            chosen[j, n] = found_codes[a]
            n += 1
        if fill and n < limit and not (weighed and n > 0):  # attributed: only if nothing else
            if trending and trend[item] > 0 and category_indptr[item + 1] > category_indptr[item]:
                chosen[j, n] = TRENDING
            elif shoppers[item] != 0:
                chosen[j, n] = POPULAR
            else:
                chosen[j, n] = UNCHOSEN
    return chosen
