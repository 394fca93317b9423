"""Train a model on a snapshot (or tune several and keep the best: ``train_auto``), evaluate it
on the held-out test set, save the artifact."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from graphrec.errors import InvalidInput
from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split, make_split
from graphrec.models import MODELS
from graphrec.models.artifact import Artifact, save_artifact
from graphrec.models.base import History, OnEval, Recommender
from graphrec.models.ease import MAX_ITEMS
from graphrec.models.names import servable
from graphrec.store.base import GraphStore
from graphrec.training.blending import tune_and_blend
from graphrec.training.tuning import Trial, Tuning


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are read as JSON where they parse (numbers, true, ...)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"expected key=value, got {pair!r}")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


def item_category(snapshot: Snapshot) -> np.ndarray:
    """One category per item (its first leaf), -1 for none: what intra-list diversity compares."""
    category = np.full(snapshot.num_items, -1, dtype=np.int64)
    pairs = snapshot.item_categories
    items = pairs.column("item").to_numpy()
    categories = pairs.column("category").to_numpy()
    category[items[::-1]] = categories[::-1]
    return category


def build_model(model_name: str, params: dict[str, Any]) -> Recommender:
    model_class = MODELS.get(model_name)
    if model_class is None:
        raise InvalidInput(f"unknown model {model_name!r}; expected one of {', '.join(MODELS)}")
    try:
        return model_class(**params)
    except TypeError as e:
        raise InvalidInput(f"{model_name}: {e}") from e


def train(
    snapshot: Snapshot,
    model_name: str,
    params: dict[str, Any],
    out: Path,
    split_kind: str = "auto",
    seed: int = 0,
    on_eval: OnEval | None = None,
    final_fit: bool = True,
    on_final_fit: Callable[[int], None] | None = None,
) -> Path:
    """Fit ``model_name`` with ``params``, evaluate it on test and save it. A model that stops
    early on the validation carve is then, with ``final_fit``, trained again on training and
    validation together for its best epochs (``on_final_fit`` is told how many); its early
    stopping's history stays the artifact's, and ``final_fit`` in model.json says what the
    second fit did. Stopped by Ctrl-C, either fit keeps the early-stopped model."""
    model = build_model(model_name, params)
    model.use_snapshot(snapshot)
    split = make_split(snapshot, split_kind, seed=seed)
    if split.train.nnz == 0:
        raise InvalidInput("the snapshot holds no training interactions")
    history = model.fit(split, on_eval=on_eval)
    refit = None
    if (
        final_fit
        and model.uses_validation
        and split.valid.nnz > 0
        and history.best_epoch is not None
        and history.stopped != "interrupted"
    ):
        if on_final_fit is not None:
            on_final_fit(history.best_epoch)
        trial = Trial(model_name, params, None, history.seconds, epochs=history.best_epoch)
        device = str(params.get("device", "auto"))
        again, folded_split, again_history = fit_final(trial, split, snapshot, device, on_eval)
        if again_history.stopped != "interrupted":
            model, split = again, folded_split
            refit = {"epochs": history.best_epoch, "seconds": again_history.seconds}
    return _evaluate_and_save(model, snapshot, split, history, out, seed, final_fit=refit)


def _evaluate_and_save(
    model: Recommender,
    snapshot: Snapshot,
    split: Split,
    history: History,
    out: Path,
    seed: int,
    tuning: dict[str, Any] | None = None,
    final_fit: dict[str, Any] | None = None,
) -> Path:
    metrics = {"test": evaluate(model, split, item_category=item_category(snapshot))}
    return save_artifact(
        out,
        model,
        snapshot,
        history,
        metrics,
        {"kind": split.kind, "seed": seed, **split.describe()},
        tuning=tuning,
        final_fit=final_fit,
    )


def folded(split: Split) -> Split:
    """The split with its validation carve moved into training (test untouched)."""
    empty = sp.csr_matrix(split.valid.shape, dtype=split.valid.dtype)
    return replace(split, train=split.seen(), valid=empty, valid_candidates=None)


def fit_final(
    trial: Trial,
    split: Split,
    snapshot: Snapshot | None,
    device: str = "auto",
    on_eval: OnEval | None = None,
) -> tuple[Recommender, Split, History]:
    """The trial's settings fitted on training and validation together: a model that stops
    early on validation trains for the epochs that were best there, with no time cap (the
    trial's cap is the search's). Returns the model, the split it was fitted on, its history."""
    params = {**trial.params, "device": device}
    if trial.epochs is not None:
        params.update(epochs=trial.epochs, time_budget_s=None)
    model = build_model(trial.model, params)
    if snapshot is not None:
        model.use_snapshot(snapshot)
    final = split if model.uses_validation and trial.epochs is None else folded(split)
    return model, final, model.fit(final, on_eval=on_eval)


def train_auto(
    snapshot: Snapshot,
    candidates: list[str],
    budget_seconds: float,
    out: Path,
    split_kind: str = "auto",
    seed: int = 0,
    device: str = "auto",
    servable_only: bool = True,
    on_trial: Callable[[Trial, float], None] | None = None,
) -> tuple[Path, Tuning]:
    """Tune the candidates on the validation carve within the budget and blend the two best
    (up to EASE's ``MAX_ITEMS`` items, where keeping two fitted item x item models fits in
    memory), take the best (of the servable ones, unless ``servable_only`` is off), fit it
    again on training and validation together (:func:`fit_final`), evaluate it on test and
    save it with the search's history."""
    split = make_split(snapshot, split_kind, seed=seed)
    if split.train.nnz == 0:
        raise InvalidInput("the snapshot holds no training interactions")
    tuning = tune_and_blend(
        split,
        candidates,
        budget_seconds,
        device=device,
        on_trial=on_trial,
        snapshot=snapshot,
        blend=snapshot.num_items <= MAX_ITEMS,
    )
    best = tuning.best(servable_only=servable_only)
    if best is None:
        reasons = "; ".join(f"{t.model}: {t.error}" for t in tuning.trials if t.error)
        raise InvalidInput(
            "no candidate finished a trial"
            + (" that can be served" if servable_only else "")
            + (f" ({reasons})" if reasons else f" within {budget_seconds:g} s")
        )
    model, final, history = fit_final(best, split, snapshot, device)
    chosen = {
        "model": best.model,
        "params": best.params,
        "valid_recall@20": best.score,
        "epochs": best.epochs,
    }
    path = _evaluate_and_save(
        model, snapshot, final, history, out, seed, {**tuning.as_dict(), "chosen": chosen}
    )
    return path, tuning


def similar_edges(
    model: Recommender, snapshot: Snapshot, top_k: int = 20, batch_size: int = 1024
) -> pa.Table:
    """Each item's ``top_k`` most similar items by the model, as SIMILAR_TO rows."""
    item_ids = snapshot.items.column("id").combine_chunks()
    k = min(top_k, model.num_items - 1)
    sources, targets, scores = [], [], []
    for start in range(0, model.num_items, batch_size):
        items = np.arange(start, min(start + batch_size, model.num_items))
        neighbours, sims = model.similar_items(items, k)
        keep = np.isfinite(sims) & (sims > 0)
        sources.append(np.repeat(items, k)[keep.ravel()])
        targets.append(neighbours.ravel()[keep.ravel()])
        scores.append(sims.ravel()[keep.ravel()])
    return pa.table(
        {
            "item_id": item_ids.take(pa.array(np.concatenate(sources))),
            "other_id": item_ids.take(pa.array(np.concatenate(targets))),
            "score": pa.array(np.concatenate(scores).astype(np.float64)),
        }
    )


def write_back_version(store: GraphStore, artifact: Artifact, top_k: int = 20) -> dict[str, int]:
    """:func:`write_back` for a saved version: the item vectors it is served with (for EASE
    and item-KNN, their items' coordinates) are the embeddings."""
    vectors = artifact.vectors()[0] if servable(artifact.name) else None
    return write_back(store, artifact.model, artifact.snapshot, top_k, vectors)


def write_back(
    store: GraphStore,
    model: Recommender,
    snapshot: Snapshot,
    top_k: int = 20,
    item_vectors: np.ndarray | None = None,
) -> dict[str, int]:
    """What merchandisers explore: ``Item.embedding`` (``item_vectors``, else the model's) and
    the top-k SIMILAR_TO edges."""
    written = {"embeddings": 0, "similar_to": 0}
    vectors = model.item_vectors() if item_vectors is None else item_vectors
    if vectors is not None:
        array = np.asarray(
            vectors.detach().cpu().numpy() if hasattr(vectors, "detach") else vectors,
            dtype=np.float32,
        )
        embeddings = pa.table(
            {
                "item_id": snapshot.items.column("id"),
                "embedding": pa.FixedSizeListArray.from_arrays(array.ravel(), array.shape[1]).cast(
                    pa.list_(pa.float32())
                ),
            }
        )
        written["embeddings"] = store.write_item_embeddings(embeddings)
    try:
        edges = similar_edges(model, snapshot, top_k)
    except InvalidInput:  # a model without item similarity (popularity)
        return written
    written["similar_to"] = store.replace_similar_to(edges)
    return written
