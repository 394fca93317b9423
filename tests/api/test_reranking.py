"""Re-ranking parts with known answers: MMR diversity and the top-k selection."""

from __future__ import annotations

import numpy as np

from graphrec.serving.engine import _mmr, _top


def test_mmr_trades_relevance_for_diversity() -> None:
    unit = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]], dtype=np.float32)
    relevance = np.array([3.0, 2.9, 2.0])  # 0 and 1 are near duplicates, 2 is different
    assert _mmr(unit, relevance, 3, diversity=0.0).tolist() == [0, 1, 2]
    assert _mmr(unit, relevance, 3, diversity=0.7).tolist() == [0, 2, 1]
    assert _mmr(unit, relevance, 2, diversity=0.7).tolist() == [0, 2]


def test_top_breaks_ties_by_index_and_skips_minus_infinity() -> None:
    scores = np.array([1.0, 3.0, -np.inf, 3.0, 2.0])
    assert _top(scores, 3).tolist() == [1, 3, 4]
    assert _top(scores, 10).tolist() == [1, 3, 4, 0]
