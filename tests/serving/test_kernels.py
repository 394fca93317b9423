"""The compiled request-path loops against plain numpy/Python statements of the same rules."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from graphrec.serving import reason_kernels as K
from graphrec.serving import reasons as R
from graphrec.serving.compiled import Csr, ItemAttributes, Scratch
from graphrec.serving.kernels import Blend, Start, rank_pool, shopper_events, top_allowed
from graphrec.serving.reason_kernels import Counts, lowest_common, reason_sources

N, DIMS = 300, 8
NO_HISTORY = np.zeros(0, dtype=np.float32)


def csr(matrix: sp.csr_matrix) -> Csr:
    return Csr(matrix.indptr, matrix.indices, matrix.data)


def _reference_pool(ranked, ranked_scores, query, complete, wanted, top, allowed, links,
                    sources, trending, vectors, graph_weight, adjust, history):  # fmt: skip
    """The same rules stated plainly: the pool in joining order, scored, the best first (an
    item joining from the links or the trending: its vector's score plus its ``history``)."""

    def score(item: int) -> float:
        value = float(np.float32(vectors[item].astype(np.float64) @ query))
        return value + float(history[item]) if len(history) else value

    kept = [(int(i), float(s)) for i, s in zip(ranked, ranked_scores, strict=True) if allowed[i]]
    if len(kept) < wanted and not complete:
        return None
    pool = dict(kept[:wanted])  # item -> model score, in joining order
    evidence = np.zeros(N)
    for s in sources:
        for p in range(links.indptr[s], links.indptr[s + 1]):
            item = int(links.indices[p])
            evidence[item] = max(evidence[item], links.data[p])
            if allowed[item] and item not in pool:
                pool[item] = score(item)
    for item in trending.tolist():
        if allowed[item] and item not in pool:
            pool[item] = score(item)
    items = np.array(list(pool), dtype=np.int64)
    scores = np.array(list(pool.values()))
    centred = scores - scores.mean()
    z = centred / (np.sqrt((centred**2).mean()) + 1e-9)
    bonus = np.log1p(evidence[items])
    if bonus.max() > 0:
        z += graph_weight * bonus / bonus.max()
    if len(adjust):
        z += adjust[items]
    best = np.argsort(-z, kind="stable")[:top]
    rest = np.setdiff1d(np.arange(len(items)), best)  # in joining order
    order = np.concatenate([best, rest])
    return items[order], z[order]


def _case(seed: int, allowed_share: float = 0.7):
    rng = np.random.default_rng(seed)
    dense = rng.random((N, N)) * (rng.random((N, N)) < 0.05) * 10
    links = sp.csr_matrix(dense)
    vectors = rng.normal(size=(N, DIMS)).astype(np.float32)
    query = rng.normal(size=DIMS).astype(np.float32)
    scores = vectors @ query
    ranked = np.argsort(-scores, kind="stable")[:120].astype(np.int32)
    allowed = rng.random(N) < allowed_share
    sources = rng.choice(N, 4, replace=False).astype(np.int64)
    trending = rng.choice(N, 12, replace=False).astype(np.int64)
    return ranked, scores[ranked], query, allowed, links, sources, trending, vectors


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_rules", [False, True])
@pytest.mark.parametrize("top", [0, 1, 18, 500])
def test_rank_pool_ranks_as_the_plain_statement_and_leaves_the_scratch_clean(seed, with_rules, top):
    ranked, ranked_scores, query, allowed, links, sources, trending, vectors = _case(seed)
    adjust = np.random.default_rng(seed).normal(size=N) if with_rules else np.zeros(0)
    # odd seeds: a model with item-item weights (each item's part of the score from them)
    history = np.zeros(0, dtype=np.float32)
    if seed % 2:
        history = np.random.default_rng(seed + 100).normal(size=N).astype(np.float32)
    slot, evidence = np.full(N, -1, dtype=np.int32), np.zeros(N)
    wanted = 50
    pool, z, ok = rank_pool(
        Start(ranked, ranked_scores, query, False),
        Blend(wanted, top, allowed, csr(links), sources, trending, vectors, history, 0.3, adjust,
              Scratch(slot, evidence)),
    )  # fmt: skip
    expected = _reference_pool(ranked, ranked_scores, query, False, wanted, top, allowed, links,
                               sources, trending, vectors, 0.3, adjust, history)  # fmt: skip
    assert ok and expected is not None
    assert pool.tolist() == expected[0].tolist()
    np.testing.assert_allclose(z, expected[1], rtol=1e-6, atol=1e-6)
    assert allowed[pool].all() and len(set(pool.tolist())) == len(pool)
    assert (slot == -1).all() and (evidence == 0).all()


def test_rank_pool_reports_a_short_pool_unless_the_ranking_is_complete():
    ranked, ranked_scores, query, allowed, links, sources, trending, vectors = _case(1, 0.1)
    slot, evidence = np.full(N, -1, dtype=np.int32), np.zeros(N)
    blend = Blend(100, 20, allowed, csr(links), sources, trending, vectors, NO_HISTORY, 0.3,
                  np.zeros(0),
                  Scratch(slot, evidence))  # fmt: skip
    assert allowed[ranked].sum() < 100
    _, _, ok = rank_pool(Start(ranked, ranked_scores, query, False), blend)
    assert not ok
    assert (slot == -1).all() and (evidence == 0).all()
    pool, _, ok = rank_pool(Start(ranked, ranked_scores, query, True), blend)
    assert ok and set(ranked[allowed[ranked]].tolist()) <= set(pool.tolist())


def test_reason_sources_finds_each_kind_of_source_newest_on_ties_never_the_item_itself():
    n, kinds = 6, 2
    # rows: recent items; kind c of item j at column c * n + j
    rows = {
        0: {0 * n + 3: 2.0, 1 * n + 4: 1.0},
        1: {0 * n + 3: 5.0, 0 * n + 4: 1.0, 1 * n + 4: 1.0},
        2: {0 * n + 3: 5.0, 1 * n + 5: 7.0},
    }
    dense = np.zeros((n, kinds * n), dtype=np.float32)
    for row, cols in rows.items():
        for col, value in cols.items():
            dense[row, col] = value
    links = sp.csr_matrix(dense)
    brand = np.array([7, 8, 7, -1, 8, 7], dtype=np.int64)
    categories = [[1], [2, 1], [3], [2, 3], [], [1, 3]]  # per item, in the item's order
    indptr = np.cumsum([0] + [len(c) for c in categories]).astype(np.int64)
    indices = np.array([c for cs in categories for c in cs], dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int32)
    sources = np.array([2, 1, 0], dtype=np.int64)  # newest first
    items = np.array([3, 4, 5, 1, 0], dtype=np.int64)
    attributes = ItemAttributes(brand, indptr, indices)
    unweighed = np.zeros((0, 0))
    position, value, link, category = reason_sources(
        csr(links), kinds, sources, items, attributes, slot, unweighed
    )
    # kind 0: item 3 has 5.0 from sources 2 (position 0) and 1 (position 1): the newest wins
    assert position[0].tolist() == [0, 1, -1, -1, -1]
    assert value[0].tolist() == [5.0, 1.0, 0.0, 0.0, 0.0]
    # kind 1: item 4 has 1.0 from positions 1 and 2 -> 1; item 5 has 7.0 from position 0
    assert position[1].tolist() == [-1, 1, 0, -1, -1]
    assert value[1].tolist() == [0.0, 1.0, 7.0, 0.0, 0.0]
    for kind in range(kinds):  # each edge's place among the links
        for j, p in enumerate(link[kind].tolist()):
            if position[kind, j] < 0:
                assert p == -1
                continue
            assert links.indptr[sources[position[kind, j]]] <= p
            assert p < links.indptr[sources[position[kind, j]] + 1]
            assert links.indices[p] == kind * n + items[j] and links.data[p] == value[kind, j]
    # brand: 3 has none; 4 (brand 8) <- item 1 at position 1; 5 (brand 7) <- item 2 at 0;
    # 1 (brand 8) is itself the only brand-8 source; 0 (brand 7) <- item 2 at 0
    assert position[2].tolist() == [-1, 1, 0, -1, 0]
    # category: 3 (2, 3) <- item 2 (3) at 0; 4 none; 5 (1, 3): item 2 shares 3 at 0;
    # 1 (2, 1): item 0 shares 1 at 2 (itself at 1 does not count); 0 (1) <- item 1 at 1
    assert position[3].tolist() == [0, -1, 0, 2, 1]
    assert category.tolist() == [3, -1, 3, 1, 1]
    assert (slot == -1).all()
    # weighed by what each source adds to each item's score: the source that adds most wins,
    # whatever its edge's strength or age
    weight = np.zeros((len(items), len(sources)))
    weight[0, 1] = 2.0  # item 3: source item 1 (position 1) adds most: its 5.0 edge is named
    weight[2, 2] = 1.0  # item 5: item 0 (position 2, brand 7 too) adds most
    weight[3, 0] = 1.0  # item 1: item 2 adds most, but shares no category with it
    position, value, _, category = reason_sources(
        csr(links), kinds, sources, items, attributes, slot, weight
    )
    assert position[0].tolist() == [1, 1, -1, -1, -1]
    assert position[2].tolist() == [-1, 1, 2, -1, 0]
    assert position[3].tolist() == [1, -1, 2, 2, 1] and category.tolist() == [2, -1, 1, 1, 1]
    assert (slot == -1).all()


def test_rank_pool_keeps_the_joining_order_among_equal_scores():
    ranked, _, query, allowed, links, sources, trending, vectors = _case(3)
    vectors[:] = vectors[0]  # every item scores the same; no evidence: all z equal
    ranked_scores = vectors[ranked] @ query
    empty = np.zeros(0, dtype=np.int64)
    slot, evidence = np.full(N, -1, dtype=np.int32), np.zeros(N)
    pool, z, ok = rank_pool(
        Start(ranked, ranked_scores, query, False),
        Blend(30, 10, allowed, csr(links), empty, trending, vectors, NO_HISTORY, 0.3,
              np.zeros(0),
              Scratch(slot, evidence)),
    )  # fmt: skip
    joined = [int(i) for i in ranked if allowed[i]][:30]
    joined += [int(i) for i in trending if allowed[i] and int(i) not in joined]
    assert ok and pool.tolist() == joined
    assert np.ptp(z) == 0


def test_lowest_common_is_the_first_shopper_of_both_items():
    n = 4
    shoppers = [[0, 3, 5], [3, 5], [1, 2], [5, 7]]  # per item, ascending
    indptr = np.cumsum([0] + [len(s) for s in shoppers]).astype(np.int64)
    indices = np.array([u for s in shoppers for u in s], dtype=np.int32)
    # kind 1 links: 0-1, 0-3, 1-2, 3-0; kind 0 link 0-2 (not asked)
    dense = np.zeros((n, 2 * n), dtype=np.float32)
    for i, j in [(0, 1), (0, 3), (1, 2), (3, 0)]:
        dense[i, n + j] = 1.0
    dense[0, 2] = 1.0
    links = sp.csr_matrix(dense)
    lowest = lowest_common(csr(links), 1, Csr(indptr, indices, np.ones(len(indices))))
    got = {
        (i, int(links.indices[p]) - n): int(lowest[p])
        for i in range(n)
        for p in range(links.indptr[i], links.indptr[i + 1])
        if links.indices[p] >= n
    }
    assert got == {(0, 1): 3, (0, 3): 5, (1, 2): -1, (3, 0): 5}
    assert lowest[links.indptr[0]] == -1  # the kind-0 link


@pytest.mark.parametrize("k", [0, 1, 7, 40])
def test_top_allowed_is_the_masked_top_k_ties_by_index(k):
    rng = np.random.default_rng(k)
    first = rng.integers(0, 5, N).astype(np.float64)  # many ties
    second = rng.integers(0, 3, N).astype(np.float64)
    allowed = rng.random(N) < 0.1  # about 30 allowed: fewer than k for the largest k
    for weight in (0.0, 1e-6):
        key = first + second * weight
        expected = [i for i in np.lexsort((np.arange(N), -key)).tolist() if allowed[i]][:k]
        got = top_allowed(first, second, weight, allowed, k)
        assert got.tolist() == expected


def _choose(
    position, value, together, limit, explored=(), fill=True, trending=False, least=2,
    every=False, weight=None,
):  # fmt: skip
    """choose_reasons over three items (10, 11, 12) and two recent items (20, 10)."""
    trend = np.zeros(30)
    trend[11] = 4.0
    shoppers = np.zeros(30)
    shoppers[10] = 2.0
    category_indptr = np.zeros(31, dtype=np.int64)
    category_indptr[12:] = 1  # item 11 has one category
    return K.choose_reasons(
        np.asarray(position, dtype=np.int64), np.asarray(value, dtype=np.float64),
        np.array([20, 10]), np.array([10, 11, 12]), np.asarray(together, dtype=np.int64),
        limit, np.asarray(explored, dtype=bool), fill, trending, Counts(trend, shoppers),
        category_indptr, least, not every, np.asarray(weight, dtype=np.float64).reshape(-1, 2)
        if weight is not None else np.zeros((0, 0)),
    ).tolist()  # fmt: skip


def test_choose_reasons_shows_no_count_under_the_minimum_and_no_fact_twice():
    # rows: bought with, similar to, co-interactions, brand, category (position per item)
    none = [-1, -1, -1]
    position = [[0, 0, -1], none, [0, 1, 0], none, none]
    value = [[3.0, 1.0, 0.0], [0.0] * 3, [0.0] * 3]
    together = [3, 3, 1]
    # item 10: bought with item 20 by 3, and 3 who chose item 20 also chose it: said once
    # item 11: bought with item 20 by 1 shopper: no reason; 3 who chose item 10 did: a reason
    # item 12: one other shopper: no reason
    assert _choose(position, value, together, 3, fill=False) == [
        [R.BOUGHT_WITH, -1, -1],
        [R.SIMILAR_SHOPPERS, -1, -1],
        [-1, -1, -1],
    ]
    assert _choose(position, value, together, 3, fill=False, least=1) == [
        [R.BOUGHT_WITH, -1, -1],
        [R.BOUGHT_WITH, R.SIMILAR_SHOPPERS, -1],
        [R.SIMILAR_SHOPPERS, -1, -1],
    ]
    # every path (explain's every): both paths of item 10
    assert _choose(position, value, together, 3, fill=False, least=1, every=True)[0] == [
        R.BOUGHT_WITH,
        R.SIMILAR_SHOPPERS,
        -1,
    ]


def test_choose_reasons_put_the_reason_whose_item_adds_most_first():
    # item 10: bought with item 20 (position 0), similar to item 10... (position 1 is item 10
    # itself for item 10: not a reason), same brand as item 10 at 1; item 12: similar
    # shoppers from item 10 (position 1), same category as item 20 (position 0)
    none = [-1, -1, -1]
    top = [1, -1, 0]  # the source that adds most (reason_sources' last row)
    position = [[0, -1, -1], none, [-1, -1, 1], [1, -1, -1], [-1, -1, 0], top]
    value = [[3.0, 0.0, 0.0], [0.0] * 3, [0.0] * 3]
    together = [0, 0, 4]
    assert _choose(position, value, together, 3, fill=False) == [
        [R.BOUGHT_WITH, R.SAME_BRAND, -1],
        [-1, -1, -1],
        [R.SIMILAR_SHOPPERS, R.SAME_CATEGORY, -1],
    ]
    # sources 20 and 10 add (per item) as follows: the larger names the first reason
    weight = [[1.0, 5.0], [0.0, 0.0], [3.0, 1.0]]
    assert _choose(position, value, together, 3, fill=False, weight=weight) == [
        [R.SAME_BRAND, R.BOUGHT_WITH, -1],
        [-1, -1, -1],
        [R.SAME_CATEGORY, R.SIMILAR_SHOPPERS, -1],
    ]
    # item 12's most comes from item 10, which no relationship leads from: said as such, first
    position[2], position[4], position[5] = [-1, -1, 0], [-1, -1, 0], [1, -1, 1]
    weight[2] = [3.0, 4.0]
    assert _choose(position, value, together, 3, fill=False, weight=weight)[2] == [
        R.BECAUSE,
        R.SIMILAR_SHOPPERS,
        R.SAME_CATEGORY,
    ]


def test_choose_reasons_keeps_priority_order_the_limit_and_ends_with_popularity():
    # rows: bought with, similar to, co-interactions, brand, category (position per item)
    position = [[0, 1, -1], [0, 0, 0], [-1, -1, -1], [1, -1, 0], [-1, 0, 0]]
    value = [[3.0, 5.0, 0.0], [0.5, 0.0, 0.9], [0.0, 0.0, 0.0]]
    together = [0, 0, 2]
    # item 10: bought with (from 20), similar to, same brand (brand and category rows are
    # taken as reason_sources found them); the limit stops at three
    # item 11: the bought-with source is item 10 (position 1): fine; similar-to value 0: not
    # item 12: similar shoppers, similar item, brand, category: limit 3 keeps the first three
    assert _choose(position, value, together, 3) == [
        [R.BOUGHT_WITH, R.SIMILAR_ITEM, R.SAME_BRAND],
        [R.BOUGHT_WITH, R.SAME_CATEGORY, R.UNCHOSEN],
        [R.SIMILAR_SHOPPERS, R.SIMILAR_ITEM, R.SAME_BRAND],
    ]
    # exploration comes first and takes a place; trending where the item trends
    assert _choose(position, value, together, 2, explored=[False, True, False], trending=True) == [
        [R.BOUGHT_WITH, R.SIMILAR_ITEM],
        [R.EXPLORATION, R.BOUGHT_WITH],
        [R.SIMILAR_SHOPPERS, R.SIMILAR_ITEM],
    ]
    none = [[-1] * 3] * 5
    assert _choose(none, [[0.0] * 3] * 3, [0, 0, 0], 3, trending=True) == [
        [R.POPULAR, -1, -1],
        [R.TRENDING, -1, -1],
        [R.UNCHOSEN, -1, -1],
    ]
    assert _choose(none, [[0.0] * 3] * 3, [0, 0, 0], 3, fill=False)[0] == [-1, -1, -1]
    # a bought-with edge from the item itself is no reason
    own = [[1, -1, -1], *none[1:]]
    assert _choose(own, [[3.0, 0.0, 0.0], [0.0] * 3, [0.0] * 3], [0, 0, 0], 3)[0][0] == R.POPULAR


def test_common_shoppers_reads_the_stored_lowest_and_leaves_changed_items_to_the_caller():
    sources, items = np.array([5, 6]), np.array([1, 2, 3, 4])
    position = np.array([0, 1, 0, -1])
    value = np.array([3.0, 2.0, 1.0, 0.0])
    link = np.array([0, 1, 2, -1])
    counts = np.array([3.0, 2.0, 1.0], dtype=np.float32)
    lowest = np.array([7, 9, 8], dtype=np.int32)
    touched = np.zeros(10, dtype=bool)

    def run(user, mine, touched=touched):
        out = K.common_shoppers(position, value, link, sources, items, counts, lowest, user,
                                np.asarray(mine, dtype=np.int64), touched)  # fmt: skip
        return [a.tolist() for a in out]

    # shopper 0 had items 5 and 6 only: every other shopper counts
    assert run(0, [5, 6]) == [[7, 9, 8, -1], [3, 2, 1, 0], []]
    # shopper 9 had item 2 too: one fewer on it, and being the lowest, the caller must look
    # further; on item 3 (one shopper of both) they also had it: no other shopper, no reason
    assert run(9, [2, 3, 5, 6]) == [[7, -1, -1, -1], [3, 0, 0, 0], [1]]
    # no shopper: no reasons; the shopper's items unknown, or an item changed: the caller's
    assert run(-1, [5]) == [[-1] * 4, [0] * 4, []]
    assert run(0, [])[2] == [0, 1, 2]
    changed = touched.copy()
    changed[6] = True
    assert run(0, [5, 6], changed)[2] == [1]


def test_shopper_events_excludes_what_was_had_and_keeps_the_newest_distinct_items() -> None:
    # newest first: view 5, not interested 7, purchase 5, view 7, cart 9, view 5, rate 3
    names = ["view", "purchase", "cart", "not_interested", "rate"]
    items = np.array([5, 7, 5, 7, 9, 5, 3], dtype=np.int64)
    kinds = np.array([0, 3, 1, 0, 2, 0, 4], dtype=np.int64)
    keep = np.array([name == "view" for name in names])
    excluded, recent, mine = shopper_events(items, kinds, keep, 3, 20)
    assert excluded.tolist() == [7, 5, 9, 3]  # the not-interested 7, purchased 5, ...
    # "not interested" does not count as the newest event of 7: its view (place 3) does
    assert recent.tolist() == [0, 3, 4, 6]
    assert mine.tolist() == [3, 5, 5, 5, 7, 7, 9]
    assert shopper_events(items, kinds, keep, 3, 2)[1].tolist() == [0, 3]
    assert shopper_events(items, kinds, keep, -1, 20)[1].tolist() == [0, 1, 4, 6]
    empty = np.zeros(0, dtype=np.int64)
    assert [len(a) for a in shopper_events(empty, empty, keep, 3, 20)] == [0, 0, 0]
