"""After the search: the two best models blended (:class:`~graphrec.models.blend.Blend`), their
weights chosen on the validation carve, a trial like the others.

The leader keeps most of the weight (0.9 down to 0.5) and the runner-up, a model of another
kind, adds what the leader misses. On Amazon Beauty LightGCN with EASE (0.9 and 0.1) scored
0.1452 on validation against LightGCN's 0.1355 and tested at recall@20 0.1283 against 0.1208
(benchmarks/quality). Both models are the search's own fitted ones, scored once on validation
and mixed there at each weight, so blending costs little more than one validation ranking
(:func:`~graphrec.evaluation.mixed_validation_recalls`); the blend's final fit trains both
parts again on training and validation, each as its own final fit would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from graphrec.errors import GraphRecError
from graphrec.evaluation import mixed_validation_recalls
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.blend import Blend, half_life
from graphrec.training.tuning import Trial, Tuning, fit_trial, score_of, tune

#: the leader's weights tried (the runner-up has the rest)
LEADER_WEIGHTS = (0.9, 0.8, 0.7, 0.6, 0.5)
#: how many models the search keeps fitted for the blend
BLENDED = 2


def final_params(trial: Trial) -> dict[str, Any]:
    """A trial's settings for a final fit: a model that stopped early trains its best epochs."""
    if trial.epochs is None:
        return dict(trial.params)
    return {**trial.params, "epochs": trial.epochs, "time_budget_s": None}


def blend_trials(
    tuning: Tuning, split: Split, device: str = "auto", snapshot: Snapshot | None = None
) -> list[Trial]:
    """The blend of the two models ``tuning`` kept fitted, at the leader's weight that scores
    best on validation: its trial, after a trial of the runner-up at the leader's recency
    half-life when theirs differ (the blend's parts must share one). No trial when fewer than two
    were kept; a blend trial with an ``error`` when they cannot be blended."""
    ranked = sorted(tuning.fitted, key=lambda name: -score_of(tuning.best(name)))[:BLENDED]
    bests = [best for best in map(tuning.best, ranked) if best is not None]
    if len(bests) < BLENDED:
        return []
    started = time.perf_counter()
    leader, runner_up = bests
    models = [tuning.fitted[name] for name in ranked]
    trials: list[Trial] = []
    lives = [half_life(model) for model in models]
    if lives[0] != lives[1]:
        if "recency_half_life" not in models[1].config:
            reason = (
                f"{leader.model} weighs a shopper's items with a recency half-life of "
                f"{lives[0]:g} items, and {runner_up.model} has no such setting"
            )
            return [Trial("blend", {"parts": _parts(leader, runner_up)}, None, 0.0, reason)]
        params = {**runner_up.params, "recency_half_life": lives[0]}
        runner_up, refitted = fit_trial(runner_up.model, params, split, device, snapshot)
        trials.append(runner_up)
        if refitted is None:
            return trials
        models[1] = refitted
    parts = _parts(leader, runner_up)
    try:
        blend = Blend.of(
            [(p["model"], p["params"], m) for p, m in zip(parts, models, strict=True)], split
        )
        weights = (1.0, *LEADER_WEIGHTS)  # the leader alone first, to compare with
        mixes = [[w / blend.scales[0], (1.0 - w) / blend.scales[1]] for w in weights]
        recalls = mixed_validation_recalls(models, mixes, split)
    except (GraphRecError, MemoryError) as e:
        seconds = time.perf_counter() - started
        return [*trials, Trial("blend", {"parts": parts}, None, seconds, str(e))]
    best = 1 + int(np.argmax(recalls[1:].mean(axis=1)))  # the leader's largest weight on a tie
    weight = weights[best]
    params = {"parts": parts, "weights": [weight, round(1.0 - weight, 6)]}
    seconds = time.perf_counter() - started
    # the leader's score plus the gain: a blend that ranks as the leader does ties with it
    # (and the earlier trial, the leader, wins a tie), whatever the rounding of either mean
    differences = recalls[best] - recalls[0]
    score = score_of(leader) + float(differences.mean())
    note = gain_note(differences, leader.model)
    return [*trials, Trial("blend", params, score, seconds, note=note)]


def gain_note(differences: np.ndarray, leader: str) -> str:
    """The blend's mean gain in validation recall@20 over ``leader``, with a 95 % interval from
    the shoppers' paired differences (normal approximation): how sure the choice is."""
    if len(differences) < 2:
        return ""
    half = 1.96 * float(differences.std(ddof=1)) / np.sqrt(len(differences))
    return f"{float(differences.mean()):+.4f} ± {half:.4f} over {leader} (95 %)"


def _parts(*trials: Trial) -> list[dict[str, Any]]:
    return [{"model": trial.model, "params": final_params(trial)} for trial in trials]


def tune_and_blend(
    split: Split,
    candidates: list[str],
    budget_seconds: float,
    device: str = "auto",
    on_trial: Callable[[Trial, float], None] | None = None,
    snapshot: Snapshot | None = None,
    blend: bool = True,
) -> Tuning:
    """:func:`~graphrec.training.tuning.tune`, then, unless it was interrupted or ``blend``
    is off, the blend of its two best servable models (:func:`blend_trials`) as one more
    trial. The fitted models are let go before returning."""
    tuning = tune(
        split,
        candidates,
        budget_seconds,
        device=device,
        on_trial=on_trial,
        snapshot=snapshot,
        keep=BLENDED if blend else 0,
    )
    try:
        if tuning.ended != "interrupted":
            for trial in blend_trials(tuning, split, device, snapshot):
                tuning.trials.append(trial)
                tuning.seconds += trial.seconds
                if on_trial is not None:
                    on_trial(trial, tuning.seconds)
    except KeyboardInterrupt:
        tuning.ended = "interrupted"
    finally:
        tuning.fitted.clear()
    return tuning
