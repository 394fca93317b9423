"""Exploration that learns: Thompson sampling over what exploration slots showed and what came
of them; young items first under an age cut-off. (Events teaching it: tests/api.)"""

from __future__ import annotations

import numpy as np

from graphrec.serving.exploration import Bandit


def test_items_that_were_chosen_come_back_and_those_ignored_fade() -> None:
    bandit = Bandit()
    chosen, ignored, untried = 1, 2, 3
    for n in range(40):
        bandit.showed(f"a{n}", [chosen, ignored])
        if n < 30:
            assert bandit.outcome(f"a{n}", chosen)
    assert not bandit.outcome("a0", chosen)  # once per answer and item
    assert not bandit.outcome("a39", 7)  # not explored by that answer
    assert not bandit.outcome("unknown", chosen)
    candidates = np.array([ignored, untried, chosen])
    firsts = [int(candidates[bandit.choose(f"seed{n}", candidates, 1)[0]]) for n in range(300)]
    assert (bandit.shown[[1, 2, 3]].tolist(), bandit.outcomes[[1, 2, 3]].tolist()) == (
        [40, 40, 0],
        [30, 0, 0],
    )
    counts = {item: firsts.count(item) for item in (chosen, ignored, untried)}
    # Beta(31, 11) against Beta(1, 1) and Beta(1, 41): the chosen item wins most draws, the
    # untried one some, the ignored one almost never
    assert counts[chosen] > counts[untried] > counts[ignored]
    assert counts[chosen] > 200 and counts[ignored] < 5
    # the same answer id, the same slots
    assert (
        bandit.choose("same", candidates, 2).tolist()
        == bandit.choose("same", candidates, 2).tolist()
    )


def test_young_items_are_explored_first() -> None:
    bandit = Bandit()
    for n in range(50):  # the old item did well, the young one was never tried
        bandit.showed(f"a{n}", [5])
        bandit.outcome(f"a{n}", 5)
    candidates = np.array([5, 6])
    young = np.array([False, True])
    for n in range(20):
        assert candidates[bandit.choose(f"s{n}", candidates, 1, young)[0]] == 6
