"""Re-ranking parts with known answers: MMR diversity, the top-k selection and the
exploration draw."""

from __future__ import annotations

import numpy as np

from graphrec.serving.candidates import top_k
from graphrec.serving.reranking import mmr, sample


def test_mmr_trades_relevance_for_diversity() -> None:
    unit = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]], dtype=np.float32)
    relevance = np.array([3.0, 2.9, 2.0])  # 0 and 1 are near duplicates, 2 is different
    assert mmr(unit, relevance, 3, diversity=0.0).tolist() == [0, 1, 2]
    assert mmr(unit, relevance, 3, diversity=0.7).tolist() == [0, 2, 1]
    assert mmr(unit, relevance, 2, diversity=0.7).tolist() == [0, 2]


def test_top_breaks_ties_by_index_and_skips_minus_infinity() -> None:
    scores = np.array([1.0, 3.0, -np.inf, 3.0, 2.0])
    assert top_k(scores, 3).tolist() == [1, 3, 4]
    assert top_k(scores, 10).tolist() == [1, 3, 4, 0]


def test_exploration_draw_is_distinct_uniform_and_fixed_by_the_id() -> None:
    population = range(100, 110)
    draws = [sample(f"rec-{n}", population, 3) for n in range(20_000)]
    assert sample("rec-7", population, 3) == draws[7]  # the same id, the same slots
    assert len({tuple(d) for d in draws}) > 700  # of the 720 ordered triples
    for draw in draws:
        assert len(set(draw)) == 3 and set(draw) <= set(population)
    counts = np.bincount([member - 100 for draw in draws for member in draw], minlength=10)
    # each member is drawn 6,000 times in expectation; a fair draw stays within 5 sigma
    assert np.abs(counts - 6_000).max() < 5 * np.sqrt(6_000 * 0.9)
    firsts = np.bincount([draw[0] - 100 for draw in draws], minlength=10)
    assert np.abs(firsts - 2_000).max() < 5 * np.sqrt(2_000 * 0.9)
    assert sample("x", population, 10) and sorted(sample("x", population, 10)) == list(population)
    assert sample("x", population, 0) == []
