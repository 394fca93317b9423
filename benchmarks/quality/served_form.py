"""Each model against the form serving scores it with (graphrec/models/serving_parts.py).

    python benchmarks/quality/served_form.py SNAPSHOT --model ease --params '{"l2": 100}'

Fits the model on training and validation data (a model that stops early on validation:
on training data, observing validation before the test), evaluates it on test, then evaluates what
serving would score with: the user and item vectors plus each item's strongest item-item
weights summed over the shopper's items (recency-weighed where the model is). Prints both
recall@20 and ndcg@20 and their ratio.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models.base import History, Recommender
from graphrec.models.serving_parts import ServingParts
from graphrec.training.train import build_model, folded

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


class ServedForm(Recommender):
    """Scores as serving computes them, from a fitted model's :class:`ServingParts`."""

    name = "served"

    def __init__(self, model: Recommender, parts: ServingParts) -> None:
        super().__init__(device="cpu")
        self.model, self.parts = model, parts
        self.num_users, self.num_items = model.num_users, model.num_items
        self.rows = sp.csr_matrix((model.num_users, model.num_items), dtype=np.float32)

    def fit(self, split, on_eval=None) -> History:  # type: ignore[no-untyped-def]
        return History()

    def observe(self, history: sp.csr_matrix) -> None:
        rows = getattr(self.model, "rows", None)
        self.rows = rows.answering(history) if rows is not None else history

    def user_scores(self, users: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.parts.scores(users, self.rows[users]))

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--params", default="{}", help="the model's settings, as JSON")
    args = parser.parse_args()
    snapshot = Snapshot.load(args.snapshot)
    model = build_model(args.model, {**json.loads(args.params), "device": "cpu"})
    split = make_split(snapshot, "auto")
    if not model.uses_validation:  # the others stop early on it; test sees it through observe
        split = folded(split)
    model.use_snapshot(snapshot)
    model.fit(split)
    offline = evaluate(model, split)
    started = time.perf_counter()
    parts = model.serving_parts()
    seconds = time.perf_counter() - started
    served = evaluate(ServedForm(model, parts), split)
    weights = 0 if parts.neighbours is None else parts.neighbours.nnz
    print(f"{args.model} {args.params}: served form made in {seconds:.1f} s, {weights:,} weights")
    for metric in ("recall@20", "ndcg@20"):
        ratio = served[metric] / max(offline[metric], 1e-12)
        print(
            f"  {metric}: model {offline[metric]:.4f}  served {served[metric]:.4f}  ({ratio:.3f}x)"
        )


if __name__ == "__main__":
    main()
