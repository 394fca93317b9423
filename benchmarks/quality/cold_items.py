"""New items: how well each way of placing an item no model has seen finds its shoppers.

    python benchmarks/quality/cold_items.py SNAPSHOT [--models gfcf,ease,als] [--params JSON]

The ``cold`` split holds out 10 % of the items with all their interactions; each model is
trained on the rest. A held-out item is then scored like known items chosen by its content,
weighted: the items of its brand and category (graphrec's fallback without text), the items
whose hashed title words are nearest (TF-IDF cosine), the items whose all-MiniLM-L6-v2 title
vectors are nearest, and the mean of the two cosines. A shopper's score for the new item is the
weighted mean of their scores for those items (for a model with vectors: the dot product with
the weighted mean vector). GraphSAGE (``--models sage``) also scores the new items by its own
vectors for them, which its network makes from their title words, brand and categories.
Reported: recall@20 and ndcg@20 over the held-out items only, per model and way, and the
time to encode the titles.
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

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import cold_item_split
from graphrec.models.item_text import encode_sentences, hashed_words, text_neighbours
from graphrec.training.train import build_model

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


def brand_category_weights(snapshot: Snapshot, cold: np.ndarray, warm: np.ndarray) -> sp.csr_matrix:
    """Uniform weights over the warm items sharing the brand and a category, else a category,
    else the brand (what graphrec's serving does for a new item without text)."""
    brand = snapshot.items.column("brand").to_numpy()
    pairs = snapshot.item_categories
    item_of, category_of = pairs.column("item").to_numpy(), pairs.column("category").to_numpy()
    shape = (snapshot.num_items, int(category_of.max()) + 1 if len(category_of) else 1)
    membership = sp.csr_matrix((np.ones(len(item_of)), (item_of, category_of)), shape=shape)
    is_warm = np.zeros(snapshot.num_items, bool)
    is_warm[warm] = True
    rows, cols, vals = [], [], []
    for row, item in enumerate(cold.tolist()):
        share_category = np.asarray((membership @ membership[item].T).todense()).ravel() > 0
        same_brand = (brand == brand[item]) if brand[item] >= 0 else np.zeros_like(is_warm)
        for mask in (same_brand & share_category, share_category, same_brand):
            chosen = np.flatnonzero(mask & is_warm)
            if len(chosen):
                rows += [row] * len(chosen)
                cols += chosen.tolist()
                vals += [1.0 / len(chosen)] * len(chosen)
                break
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(cold), snapshot.num_items))


def neighbour_weights(new_rows, known_rows, warm: np.ndarray, count: int, k: int) -> sp.csr_matrix:
    top, weights = text_neighbours(new_rows, known_rows, k)
    rows = np.repeat(np.arange(len(top)), top.shape[1])
    return sp.csr_matrix((weights.ravel(), (rows, warm[top].ravel())), shape=(len(top), count))


def metrics(scores: np.ndarray, truth: sp.csr_matrix, k: int) -> dict[str, float]:
    """recall@k and ndcg@k of ranking the held-out items (columns of ``scores``)."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    recalls, ndcgs = [], []
    discounts = 1 / np.log2(np.arange(2, k + 2))
    for row in range(len(scores)):
        relevant = set(truth.indices[truth.indptr[row] : truth.indptr[row + 1]].tolist())
        hits = np.array([item in relevant for item in top[row].tolist()], dtype=float)
        recalls.append(hits.sum() / len(relevant))
        ideal = discounts[: min(len(relevant), k)].sum()
        ndcgs.append(float((hits * discounts).sum() / ideal))
    return {f"recall@{k}": float(np.mean(recalls)), f"ndcg@{k}": float(np.mean(ndcgs))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--models", default="gfcf,ease,als")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--neighbours", type=int, default=20)
    parser.add_argument(
        "--params", default="{}", help='settings per model, JSON: {"sage": {"epochs": 60}}'
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    settings = json.loads(args.params)
    torch.set_num_threads(2)
    snapshot = Snapshot.load(args.snapshot)
    split = cold_item_split(snapshot)
    cold = np.asarray(split.test_candidates)
    warm = np.flatnonzero(np.asarray(split.train.sum(axis=0)).ravel() > 0)
    truth = split.test[:, cold].tocsr()
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    truth = truth[users]
    titles = [t or "" for t in snapshot.items.column("title").to_pylist()]
    print(f"{args.snapshot.name}: {len(cold):,} new items, {len(warm):,} known, "
          f"{len(users):,} shoppers of new items")  # fmt: skip
    ways: dict[str, sp.csr_matrix] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    ways["brand and category"] = brand_category_weights(snapshot, cold, warm)
    seconds["brand and category"] = time.perf_counter() - started
    started = time.perf_counter()
    words = hashed_words(titles)
    ways["hashed title words"] = neighbour_weights(
        words[cold], words[warm], warm, snapshot.num_items, args.neighbours
    )
    seconds["hashed title words"] = time.perf_counter() - started
    started = time.perf_counter()
    sentences = encode_sentences(titles, progress=True)
    ways["MiniLM titles"] = neighbour_weights(
        sentences[cold], sentences[warm], warm, snapshot.num_items, args.neighbours
    )
    seconds["MiniLM titles"] = time.perf_counter() - started
    both = sp.hstack([words, sp.csr_matrix(sentences)]).tocsr() / np.sqrt(2)  # mean cosine
    ways["both (mean cosine)"] = neighbour_weights(
        both[cold], both[warm], warm, snapshot.num_items, args.neighbours
    )
    rows = []
    for name in [m for m in args.models.split(",") if m]:
        model = build_model(name, {**settings.get(name, {}), "device": "cpu"})
        model.use_snapshot(snapshot)
        model.fit(split)
        scores = model.user_scores(users).numpy()
        own = {"its own vectors (from content)": None} if name == "sage" else {}
        for way, weights in {**own, **ways}.items():
            # GraphSAGE embeds the new items itself; the others score them like known items
            cold_scores = scores[:, cold] if weights is None else (weights @ scores.T).T
            row = {"model": name, "way": way, **metrics(cold_scores, truth, args.k)}
            rows.append(row)
            print(f"  {name:6s} {way:20s} recall@{args.k} {row[f'recall@{args.k}']:.4f} "
                  f"ndcg@{args.k} {row[f'ndcg@{args.k}']:.4f}", flush=True)  # fmt: skip
    random = metrics(np.random.default_rng(0).random((len(users), len(cold))), truth, args.k)
    print(f"  random: recall@{args.k} {random[f'recall@{args.k}']:.4f}")
    print("encoding seconds:", {k: round(v, 1) for k, v in seconds.items()})
    result = {"rows": rows, "random": random, "seconds": seconds, "new_items": len(cold)}
    target = args.out / f"cold-{args.snapshot.name}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
