"""Per-shop tuning: each candidate model's few important settings searched on the validation
carve of the training data (never the test split), under a time budget.

Each model's search is a coordinate search from its defaults: one setting at a time takes each
of its values while the others keep their best so far, and a value is kept when validation
recall@20 improves. The models take turns, one trial each, so a short budget still tries every
model's defaults first. A budget that runs out, or Ctrl-C, ends the search with what it has:
the best trial so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from graphrec.errors import GraphRecError, InvalidInput
from graphrec.evaluation import validation_recall
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models import MODELS
from graphrec.models.base import Recommender
from graphrec.models.lightgcn import LightGCN
from graphrec.models.names import servable

#: What each model's search tries, setting by setting, most important first; its start
#: (:data:`SEARCH_STARTS`, else the defaults) is always the first trial.
SEARCH_SPACES: dict[str, dict[str, list[Any]]] = {
    "ease": {
        "recency_half_life": [0.0, 32.0, 2.0],
        "l2": [200.0, 1000.0, 100.0, 2000.0, 50.0, 5000.0],
        "weighted": [True],
    },
    "gfcf": {
        "recency_half_life": [0.0, 32.0],
        "beta": [0.1, 0.3, 0.5],
        "item_exponent": [0.3, 0.5],
        "dim": [128, 512],
    },
    "bspm": {
        "recency_half_life": [0.0],
        "sharpen_time": [1.0, 3.0],
        "beta": [0.1, 0.4],
        "dim": [256, 640],
    },
    "als": {
        "alpha": [40.0, 3.0],
        "factors": [256, 64],
        "regularization": [0.5, 0.01],
        "iterations": [30],
        "weighted": [True],
    },
    "itemknn": {"recency_half_life": [0.0, 32.0], "neighbours": [50, 400], "shrink": [0.0, 50.0]},
    "lightgcn": {
        "recency_half_life": [0.0, 4.0, 2.0],
        "embedding_dim": [128, 512],
        "num_layers": [2, 4],
    },
    "mf": {"recency_half_life": [0.0, 4.0, 2.0], "embedding_dim": [128, 512]},
    "sage": {"recency_half_life": [1.0, 4.0], "hidden": [128]},
    "pop": {},
}
#: Where a model's search starts besides its defaults: with recency (the models' defaults are
#: the published ones, without). A shop's next item follows its last ones: on MovieLens and
#: Amazon Beauty's leave-last-out splits, a half-life of 8 items was the best or near it for
#: every model that has the setting (benchmarks/quality).
SEARCH_STARTS: dict[str, dict[str, Any]] = {
    name: {"recency_half_life": 8.0} for name in ("ease", "gfcf", "bspm", "itemknn")
}
#: LightGCN starts from the closed form (its vectors the normalised graph's singular vectors)
#: and answers shoppers from their items' vectors, the latest weighing most: on Amazon Beauty
#: that trains in about two minutes on two cores, against ten from noise, and is what makes it
#: competitive there (benchmarks/quality).
SEARCH_STARTS["lightgcn"] = {
    "init": "svd",
    "users_from_items": True,
    "recency_half_life": 1.0,
    "embedding_dim": 256,
}
#: Matrix factorisation starts and trains as LightGCN does, without the layers: the two side by
#: side say what the graph's propagation adds. GraphSAGE (title words, brand and category
#: through two layers) answers from a shopper's items too, with the training that suited it on
#: Amazon Beauty. Neither is a default candidate of ``--model auto`` (benchmarks/quality).
SEARCH_STARTS["mf"] = {**SEARCH_STARTS["lightgcn"], **LightGCN.defaults}
SEARCH_STARTS["sage"] = {
    "users_from_items": True,
    "recency_half_life": 2.0,
    "batch_size": 4096,
    "num_negatives": 1024,
    "in_batch": 1024,
    "epochs": 60,
    "eval_every": 2,
    "patience": 3,
}
#: Settings that read the snapshot (times, ratings): a search without one leaves them out, and
#: so does a search of data without times (every item of a shopper weighs the same) or with
#: one weight for every interaction (the weighted model is the unweighted one).
NEEDS_SNAPSHOT = ("recency_half_life", "weighted")


def informative_settings(snapshot: Snapshot | None) -> tuple[str, ...]:
    """Which of :data:`NEEDS_SNAPSHOT` this snapshot can inform."""
    if snapshot is None:
        return ()
    times = snapshot.column("ts")
    weights = np.nan_to_num(snapshot.column("weight").astype(np.float64), nan=1.0)
    settings = []
    if len(times) and times.min() != times.max():
        settings.append("recency_half_life")
    if len(weights) and weights.min() != weights.max():
        settings.append("weighted")
    return tuple(settings)


#: The candidates of ``--model auto``, quick ones first, so that a short budget still tries
#: most of them (Amazon Beauty, a trial: pop 0.3 s, itemknn 1, gfcf 6-45, als 3-15, ease 28,
#: bspm 22-72, lightgcn 60-150). GF-CF comes before ALS: on equal validation scores the earlier
#: trial wins, and ALS's defaults did worse on test (0.0930 against GF-CF's 0.1041, both 0.1122
#: on validation). LightGCN's trial is capped by what is left of the budget (it keeps its best
#: epoch so far), so it runs on a CPU too.
CANDIDATES = ["pop", "itemknn", "gfcf", "als", "ease", "bspm", "lightgcn"]


def default_candidates(num_items: int) -> list[str]:
    """:data:`CANDIDATES`, without EASE above its ``max_items``: there its weights are solved
    item by item over neighbours, trials take minutes, and on Gowalla (40,981 items, the given
    split) its best on validation (0.2228, above BSPM's 0.2177) tested at 0.1727, below BSPM's
    0.1902, with a validation carve shaped like the test too (benchmarks/quality).
    ``--candidates`` still takes it."""
    from graphrec.models.ease import MAX_ITEMS

    return [name for name in CANDIDATES if name != "ease" or num_items <= MAX_ITEMS]


@dataclass
class Trial:
    model: str
    params: dict[str, Any]
    #: validation recall@20, None when the trial could not run (``error`` says why)
    score: float | None
    seconds: float
    error: str = ""
    #: the best epoch on validation, of a model that trains epoch by epoch (the final fit on
    #: training and validation together trains that many)
    epochs: int | None = None
    #: what else the table says of it (a blend: its gain over the leader, with an interval)
    note: str = ""


@dataclass
class Tuning:
    trials: list[Trial] = field(default_factory=list)
    #: why the search ended: "searched" (every trial done), "budget" or "interrupted"
    ended: str = "searched"
    seconds: float = 0.0
    #: the fitted models of the best trials of the best few servable models, by name (what a
    #: blend is made of; ``tune``'s ``keep``), not saved
    fitted: dict[str, Recommender] = field(default_factory=dict, repr=False)

    def best(self, model: str | None = None, servable_only: bool = False) -> Trial | None:
        """The trial with the highest validation recall (of one model, or servable ones)."""
        done = [
            t
            for t in self.trials
            if t.score is not None
            and (model is None or t.model == model)
            and (not servable_only or servable(t.model))
        ]
        return max(done, key=lambda t: t.score or 0.0, default=None)

    def table(self) -> list[dict[str, Any]]:
        """One row per model tried: its best settings and score, trials and time."""
        rows = []
        for model in dict.fromkeys(t.model for t in self.trials):
            tried = [t for t in self.trials if t.model == model]
            best = self.best(model)
            rows.append(
                {
                    "model": model,
                    "valid_recall@20": best.score if best else None,
                    "params": best.params if best else {},
                    "trials": len(tried),
                    "seconds": sum(t.seconds for t in tried),
                    "error": next((t.error for t in tried if t.error), ""),
                    "note": best.note if best else "",
                    "servable": servable(model),
                }
            )
        return sorted(rows, key=lambda r: -(r["valid_recall@20"] or -1.0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ended": self.ended,
            "seconds": self.seconds,
            "trials": [asdict(t) for t in self.trials],
            "table": self.table(),
        }


def coordinate_search(
    space: dict[str, list[Any]], start: dict[str, Any] | None = None, passes: int = 2
) -> Generator[dict[str, Any], float, None]:
    """Yields settings to try and is sent each one's score: ``start`` (else the defaults)
    first, then each setting's values in turn, keeping a value when it beats the best so far;
    ``passes`` times over the settings (settings interact: EASE's best recency depends on its
    ``l2``), never the same settings twice."""
    best_params: dict[str, Any] = dict(start or {})
    best = yield dict(best_params)
    tried = {tuple(sorted(best_params.items()))}
    for _ in range(passes):
        for name, values in space.items():
            for value in [*values, *([start[name]] if start and name in start else [])]:
                candidate = {**best_params, name: value}
                key = tuple(sorted(candidate.items()))
                if key in tried:
                    continue
                tried.add(key)
                score = yield candidate
                if score > best:
                    best, best_params = score, candidate


def search_of(
    model: str, informed: tuple[str, ...] = NEEDS_SNAPSHOT
) -> Generator[dict[str, Any], float, None]:
    """``model``'s search: from :data:`SEARCH_STARTS` through :data:`SEARCH_SPACES`, without
    the settings of :data:`NEEDS_SNAPSHOT` that are not ``informed`` by the data."""
    left_out = [name for name in NEEDS_SNAPSHOT if name not in informed]
    space = {k: v for k, v in SEARCH_SPACES[model].items() if k not in left_out}
    start = {k: v for k, v in SEARCH_STARTS.get(model, {}).items() if k not in left_out}
    return coordinate_search(space, start)


def run_trial(
    model: str,
    params: dict[str, Any],
    split: Split,
    device: str,
    snapshot: Snapshot | None = None,
) -> Trial:
    """Fit on the training carve, score validation recall@20."""
    return fit_trial(model, params, split, device, snapshot)[0]


def fit_trial(
    model: str,
    params: dict[str, Any],
    split: Split,
    device: str,
    snapshot: Snapshot | None = None,
) -> tuple[Trial, Recommender | None]:
    """:func:`run_trial`, and the fitted model (None when it could not run)."""
    started = time.perf_counter()
    try:
        fitted = MODELS[model](**params, device=device)
        if snapshot is not None:
            fitted.use_snapshot(snapshot)
        history = fitted.fit(split)
        score = validation_recall(fitted, split)
    except (GraphRecError, TypeError, MemoryError) as e:
        reason = str(e) if isinstance(e, GraphRecError) else f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - started
        return Trial(model, params, None, seconds, reason.split("\n")[0]), None
    epochs = history.best_epoch if fitted.uses_validation else None
    return Trial(model, params, score, time.perf_counter() - started, epochs=epochs), fitted


def kept(tuning: Tuning, trial: Trial, model: Recommender | None, keep: int) -> None:
    """Keep ``model`` when its trial is its model's best and among the ``keep`` best servable
    models; drop the one it pushes out."""
    if keep <= 0 or model is None or not servable(trial.model):
        return
    if tuning.best(trial.model) is not trial:
        return
    tuning.fitted[trial.model] = model
    ranked = sorted(tuning.fitted, key=lambda name: -score_of(tuning.best(name)))
    for name in ranked[keep:]:
        del tuning.fitted[name]


def score_of(trial: Trial | None) -> float:
    """A trial's validation score, -1 for none (to rank trials by)."""
    return trial.score if trial is not None and trial.score is not None else -1.0


def capped(model: str, params: dict[str, Any], seconds_left: float) -> dict[str, Any]:
    """A trial of a model that trains epoch by epoch stops when the budget does, keeping its
    best epoch so far (the other models' trials run to their end)."""
    from graphrec.models.embedding import EmbeddingModel

    if not issubclass(MODELS[model], EmbeddingModel) or "time_budget_s" in params:
        return params
    return {**params, "time_budget_s": round(max(seconds_left, 1.0))}


def tune(
    split: Split,
    candidates: list[str],
    budget_seconds: float,
    device: str = "auto",
    on_trial: Callable[[Trial, float], None] | None = None,
    snapshot: Snapshot | None = None,
    keep: int = 0,
) -> Tuning:
    """Search every candidate in turn until each search is done or the budget is spent;
    ``on_trial`` hears each trial and the seconds spent so far. ``snapshot``: what the split
    was made of (interaction weights, item content), for the settings that read it. ``keep``:
    how many of the best servable models to keep fitted (``Tuning.fitted``)."""
    unknown = [name for name in candidates if name not in SEARCH_SPACES]
    if unknown:
        raise InvalidInput(
            f"cannot tune {', '.join(unknown)}; tunable models: {', '.join(SEARCH_SPACES)}"
        )
    if split.valid.nnz == 0:
        raise InvalidInput("the split has no validation interactions to tune on")
    started = time.perf_counter()
    tuning = Tuning()
    informed = informative_settings(snapshot)
    searches = {name: search_of(name, informed) for name in candidates}
    pending = {name: next(search) for name, search in searches.items()}
    try:
        while pending:
            for name in list(pending):
                spent = time.perf_counter() - started
                if spent >= budget_seconds:
                    tuning.ended = "budget"
                    return tuning
                params = capped(name, pending[name], budget_seconds - spent)
                trial, model = fit_trial(name, params, split, device, snapshot)
                tuning.trials.append(trial)
                kept(tuning, trial, model, keep)
                del model
                tuning.seconds = time.perf_counter() - started
                if on_trial is not None:
                    on_trial(trial, tuning.seconds)
                if trial.score is None:  # this model cannot run here: no more of its trials
                    del pending[name]
                    continue
                try:
                    pending[name] = searches[name].send(trial.score)
                except StopIteration:
                    del pending[name]
    except KeyboardInterrupt:
        tuning.ended = "interrupted"
    finally:
        tuning.seconds = time.perf_counter() - started
    return tuning


def settings_text(params: dict[str, Any]) -> str:
    """A trial's settings in a line: ``key=value ...``, a blend's as ``0.9 lightgcn + 0.1
    ease``."""
    if "parts" in params:
        weights = params.get("weights") or [None] * len(params["parts"])
        return " + ".join(
            f"{weight:g} {part['model']}" if weight is not None else part["model"]
            for part, weight in zip(params["parts"], weights, strict=True)
        )
    return " ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
