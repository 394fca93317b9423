"""How EASE could be served: test recall@20 of its exact item-item matrix against two
approximations, on the same split as run.py (validation folded into training):

- rank ``d`` (a randomised SVD, ``B ~ P Q^T``: user vectors ``x_u P``, item vectors ``Q``), what
  serving by vectors would need;
- sparse: each item's ``keep`` largest weights, what an item-item path would store.

    python benchmarks/quality/ease_approximations.py SNAPSHOT --l2 100 --ranks 256 512 1024 \
        --keep 50 200 1000
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split, make_split
from graphrec.models.base import History, Recommender
from graphrec.models.ease import EASE
from graphrec.training.train import folded

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


class Sparse(Recommender):
    """EASE's scores through each item's ``keep`` largest weights."""

    name = "ease-sparse"

    def __init__(self, ease: EASE, keep: int, **config: Any) -> None:
        super().__init__(device="cpu", **config)
        self.ease, self.num_users, self.num_items = ease, ease.num_users, ease.num_items
        top = ease.weights.topk(keep, dim=1)
        rows = torch.arange(self.num_items).repeat_interleave(keep)
        self.weights = sp.csr_matrix(
            (top.values.flatten().numpy(), (rows.numpy(), top.indices.flatten().numpy())),
            shape=(self.num_items, self.num_items),
        )

    def fit(self, split: Split, on_eval: Any = None) -> History:
        return History()

    def observe(self, history: Any) -> None:
        self.ease.observe(history)

    def user_scores(self, users: np.ndarray) -> Tensor:
        return torch.from_numpy((self.ease.ratings[users] @ self.weights).toarray())

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        return None


class LowRank(Recommender):
    """EASE's scores through rank-``d`` factors of its matrix."""

    name = "ease-low-rank"

    def __init__(self, ease: EASE, rank: int, **config: Any) -> None:
        super().__init__(device="cpu", **config)
        self.ease, self.num_users, self.num_items = ease, ease.num_users, ease.num_items
        u, s, v = torch.svd_lowrank(ease.weights, q=rank, niter=4)
        self.users, self.items = (u * s).numpy(), v

    def fit(self, split: Split, on_eval: Any = None) -> History:
        return History()

    def observe(self, history: Any) -> None:
        self.ease.observe(history)

    def user_scores(self, users: np.ndarray) -> Tensor:
        return torch.from_numpy(np.asarray(self.ease.ratings[users] @ self.users)) @ self.items.T

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--l2", type=float, default=100.0)
    parser.add_argument("--ranks", type=int, nargs="*", default=[256, 512, 1024])
    parser.add_argument("--keep", type=int, nargs="*", default=[50, 200, 1000])
    args = parser.parse_args()
    split = folded(make_split(Snapshot.load(args.snapshot), "auto"))
    torch.manual_seed(0)
    ease = EASE(l2=args.l2, device="cpu")
    ease.fit(split)
    print(f"exact      recall@20 {evaluate(ease, split, ks=(20,))['recall@20']:.4f}")
    for rank in args.ranks:
        started = time.perf_counter()
        low = LowRank(ease, rank)
        seconds = time.perf_counter() - started
        recall = evaluate(low, split, ks=(20,))["recall@20"]
        print(f"rank {rank:5d} recall@20 {recall:.4f} (SVD {seconds:.1f} s)", flush=True)
    for keep in args.keep:
        recall = evaluate(Sparse(ease, keep), split, ks=(20,))["recall@20"]
        print(f"keep {keep:5d} recall@20 {recall:.4f}", flush=True)


if __name__ == "__main__":
    main()
