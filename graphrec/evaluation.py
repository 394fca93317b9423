"""Offline evaluation: full ranking over all items, each user's seen items masked.

Accuracy at each k (recall, precision, NDCG, hit rate, MAP) comes from
``torch_geometric.metrics``; beyond accuracy at k = 20: catalogue coverage, intra-list diversity
by category, novelty (mean self-information of recommended items, -log2 of the share of users who
had them) and the mean popularity of recommended items.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.metrics import (
    LinkPredAveragePopularity,
    LinkPredCoverage,
    LinkPredDiversity,
    LinkPredHitRatio,
    LinkPredMAP,
    LinkPredMetricCollection,
    LinkPredNDCG,
    LinkPredPrecision,
    LinkPredRecall,
)

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import Recommender, mask_rows

KS = (10, 20, 50)
BEYOND_K = 20
MAX_VALID_USERS = 10_000


def _collection(
    ks: tuple[int, ...],
    beyond_k: int,
    num_items: int,
    popularity: torch.Tensor,
    category: torch.Tensor | None,
) -> LinkPredMetricCollection:
    metrics: dict[str, Any] = {}
    for k in ks:
        metrics[f"recall@{k}"] = LinkPredRecall(k)
        metrics[f"precision@{k}"] = LinkPredPrecision(k)
        metrics[f"ndcg@{k}"] = LinkPredNDCG(k)
        metrics[f"hit@{k}"] = LinkPredHitRatio(k)
        metrics[f"map@{k}"] = LinkPredMAP(k)
    metrics[f"coverage@{beyond_k}"] = LinkPredCoverage(beyond_k, num_items)
    metrics[f"popularity@{beyond_k}"] = LinkPredAveragePopularity(beyond_k, popularity)
    if category is not None and beyond_k > 1:
        metrics[f"diversity@{beyond_k}"] = LinkPredDiversity(beyond_k, category)
    return LinkPredMetricCollection(metrics)


def _exclusions(
    split: Split, target: str, users: np.ndarray
) -> tuple[sp.csr_matrix, torch.Tensor | None]:
    """Per user of ``users``, what they had before ``target``; and, for splits that rank only
    some candidates, a mask of every other item."""
    seen = (split.seen() if target == "test" else split.train)[users]
    candidates = split.test_candidates if target == "test" else split.valid_candidates
    if candidates is None:
        return seen, None
    others = torch.ones(split.num_items, dtype=torch.bool)
    others[torch.from_numpy(np.asarray(candidates, dtype=np.int64))] = False
    return seen, others


@torch.no_grad()
def _top_k(
    model: Recommender,
    users: np.ndarray,
    k: int,
    exclude: tuple[sp.csr_matrix, torch.Tensor | None],
) -> np.ndarray:
    """Top-k item indices per user, with ``exclude`` from :func:`_exclusions`."""
    seen, others = exclude
    scores = mask_rows(model.user_scores(users), np.arange(len(users)), seen)
    if others is not None:
        scores[:, others.to(scores.device)] = float("-inf")
    return scores.topk(k, dim=1).indices.cpu().numpy()


def evaluate(
    model: Recommender,
    split: Split,
    target: str = "test",
    ks: tuple[int, ...] | None = None,
    item_category: np.ndarray | None = None,
    batch_size: int = 2048,
    max_users: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Metrics of ``model`` on ``split.<target>``, masking what the user had before it.

    ``ks`` defaults to 10, 20 and 50 (those the catalogue has room for);
    ``item_category``: one category index per item (-1 for none) for intra-list diversity.
    """
    truth: sp.csr_matrix = getattr(split, target)
    if target == "test":
        model.observe(split.seen())
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    if max_users is not None and len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    train_counts = np.asarray(split.train.sum(axis=0)).ravel()
    popularity = torch.from_numpy(train_counts.astype(np.float32))
    category = None
    if item_category is not None and (item_category >= 0).any():
        category = torch.from_numpy(np.asarray(item_category, dtype=np.int64))
    if ks is None:  # the standard cut-offs that the catalogue is large enough for
        ks = tuple(k for k in KS if k <= split.num_items) or (split.num_items,)
    if max(ks) > split.num_items:
        raise InvalidInput(f"k up to {max(ks)} asked for, but there are {split.num_items} items")
    beyond_k = min(BEYOND_K, split.num_items)
    metrics = _collection(ks, beyond_k, split.num_items, popularity, category)
    k_max = max(*ks, beyond_k)
    started = time.perf_counter()
    self_information = -np.log2(np.maximum(train_counts, 1) / split.num_users)
    novelty_sum = 0.0
    for start in range(0, len(users), batch_size):
        chunk = users[start : start + batch_size]
        top = _top_k(model, chunk, k_max, _exclusions(split, target, chunk))
        rows = truth[chunk].tocoo()
        label_index = torch.from_numpy(np.stack([rows.row, rows.col]).astype(np.int64))
        metrics.update(torch.from_numpy(top.astype(np.int64)), label_index)
        novelty_sum += float(self_information[top[:, :beyond_k]].mean(axis=1).sum())
    results = {name: float(value) for name, value in metrics.compute().items()}
    results[f"novelty@{beyond_k}"] = novelty_sum / max(len(users), 1)
    results["users"] = float(len(users))
    results["seconds"] = time.perf_counter() - started
    return results


def rated_at_least(split: Split, snapshot: Snapshot, stars: float) -> Split:
    """``split`` with only the test pairs rated ``stars`` or more (any of the pair's ratings):
    what a shopper liked, for a rating-aware evaluation (did the model find the next film the
    shopper rated 4 or 5?). Pairs without a rating leave the test set; the rest is unchanged."""
    ratings = snapshot.column("rating")
    keep = np.nan_to_num(ratings.astype(np.float64), nan=-np.inf) >= stars
    users, items = snapshot.column("user")[keep], snapshot.column("item")[keep]
    liked = sp.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=split.test.shape)
    liked.data[:] = 1.0
    test = split.test.multiply(liked).tocsr()
    test.data[:] = 1.0
    test.eliminate_zeros()
    return replace(split, test=test.astype(split.test.dtype))


def _validation_users(split: Split) -> np.ndarray:
    """The shoppers with validation items (at most 10,000, a fixed sample)."""
    users = np.flatnonzero(np.diff(split.valid.indptr) > 0)
    if len(users) > MAX_VALID_USERS:
        users = np.sort(np.random.default_rng(0).choice(users, MAX_VALID_USERS, replace=False))
    return users


def validation_recall(model: Recommender, split: Split) -> float:
    """recall@20 on the validation set (at most 10,000 users, fixed sample), for early stopping."""
    if split.valid.nnz == 0:
        return 0.0
    truth = split.valid
    users = _validation_users(split)
    metric = LinkPredRecall(20)
    for start in range(0, len(users), 2048):
        chunk = users[start : start + 2048]
        top = _top_k(model, chunk, min(20, split.num_items), _exclusions(split, "valid", chunk))
        rows = truth[chunk].tocoo()
        metric.update(
            torch.from_numpy(top.astype(np.int64)),
            torch.from_numpy(np.stack([rows.row, rows.col]).astype(np.int64)),
        )
    return float(metric.compute())


@torch.no_grad()
def mixed_validation_recalls(
    models: list[Recommender], mixes: list[list[float]], split: Split, batch_size: int = 2048
) -> np.ndarray:
    """Each validation user's recall@20 (the users of :func:`validation_recall`, in order)
    under each mix of the models' scores, ``sum over k of mix[k] * scores_k``: ``[mixes,
    users]``, whose row means are the mixes' validation recall. Each model is scored once per
    batch of users however many mixes there are: a blend's weights are chosen this way, five
    mixes costing little more than one, and the rows compare mixes user by user."""
    if any(len(mix) != len(models) for mix in mixes):
        raise InvalidInput(f"each mix needs one factor per model ({len(models)})")
    users = _validation_users(split) if split.valid.nnz else np.zeros(0, dtype=np.int64)
    recalls = np.zeros((len(mixes), len(users)))
    k = min(20, split.num_items)
    for start in range(0, len(users), batch_size):
        chunk = users[start : start + batch_size]
        seen, others = _exclusions(split, "valid", chunk)
        scores = [model.user_scores(chunk).float().cpu() for model in models]
        truth = split.valid[chunk].tocoo()
        labels = truth.row.astype(np.int64) * split.num_items + truth.col  # (user, item) keys
        counts = np.bincount(truth.row, minlength=len(chunk))
        for row, mix in enumerate(mixes):
            total: torch.Tensor | None = None
            for factor, part in zip(mix, scores, strict=True):
                if factor != 0:
                    total = part * float(factor) if total is None else total + part * float(factor)
            if total is None:
                raise InvalidInput("a mix has every factor 0")
            total = mask_rows(total, np.arange(len(chunk)), seen)
            if others is not None:
                total[:, others] = float("-inf")
            top = total.topk(k, dim=1).indices.numpy()
            found = np.isin(np.arange(len(chunk))[:, None] * split.num_items + top, labels)
            hits = found.sum(axis=1)
            recalls[row, start : start + len(chunk)] = hits / np.maximum(counts, 1)
    return recalls
