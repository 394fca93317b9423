"""Train a model on a snapshot, evaluate it on the held-out test set, save the artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from graphrec.errors import InvalidInput
from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.artifact import save_artifact
from graphrec.models.base import OnEval, Recommender
from graphrec.store.base import GraphStore


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


def train(
    snapshot: Snapshot,
    model_name: str,
    params: dict[str, Any],
    out: Path,
    split_kind: str = "auto",
    seed: int = 0,
    on_eval: OnEval | None = None,
) -> Path:
    model_class = MODELS.get(model_name)
    if model_class is None:
        raise InvalidInput(f"unknown model {model_name!r}; expected one of {', '.join(MODELS)}")
    try:
        model = model_class(**params)
    except TypeError as e:
        raise InvalidInput(f"{model_name}: {e}") from e
    model.use_snapshot(snapshot)
    split = make_split(snapshot, split_kind, seed=seed)
    if split.train.nnz == 0:
        raise InvalidInput("the snapshot holds no training interactions")
    history = model.fit(split, on_eval=on_eval)
    metrics = {"test": evaluate(model, split, item_category=item_category(snapshot))}
    return save_artifact(
        out,
        model,
        snapshot,
        history,
        metrics,
        {"kind": split.kind, "seed": seed, **split.describe()},
    )


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


def write_back(
    store: GraphStore, model: Recommender, snapshot: Snapshot, top_k: int = 20
) -> dict[str, int]:
    """What merchandisers explore: ``Item.embedding`` and the top-k SIMILAR_TO edges."""
    written = {"embeddings": 0, "similar_to": 0}
    vectors = model.item_vectors()
    if vectors is not None:
        array = vectors.detach().cpu().numpy().astype(np.float32)
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
