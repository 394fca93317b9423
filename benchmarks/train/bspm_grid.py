"""Validation grid for BSPM: many (beta, sharpening time) settings for the price of one.

    python benchmarks/train/bspm_grid.py SNAPSHOT [--target valid] [--users 12000] \
        [--betas 0.2,0.3] [--times 0,1,1.5,2,2.5] [--dim 448] [--item-exponent 0.5]

One RK4 step of the sharpening is a polynomial in the filter P, and BSPM's score is linear in
beta, so for each batch of users the grid computes the linear and the ideal low-pass signals
and their first four products with P once, then every setting from those. Recall@20 and
NDCG@20 follow graphrec.evaluation's definitions (training items masked). ``--target test``
exists to report chosen settings; choose on ``valid``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models import BSPM

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
K = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--target", choices=("valid", "test"), default="valid")
    parser.add_argument("--users", type=int, default=12_000, help="0: every user")
    parser.add_argument("--betas", default="0.2,0.3")
    parser.add_argument("--times", default="0,1,1.5,2,2.5")
    parser.add_argument("--dim", type=int, default=448)
    parser.add_argument("--item-exponent", type=float, default=0.5)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    split = make_split(Snapshot.load(args.snapshot), "auto")
    history = split.train if args.target == "valid" else split.seen()
    truth = getattr(split, args.target)
    betas = [float(b) for b in args.betas.split(",")]
    times = [float(t) for t in args.times.split(",")]

    started = time.perf_counter()
    model = BSPM(dim=args.dim, item_exponent=args.item_exponent)
    model.num_users, model.num_items = split.num_users, split.num_items
    model.observe(history)
    print(f"filter and SVD: {time.perf_counter() - started:.0f} s")

    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    if args.users and len(users) > args.users:
        users = np.sort(np.random.default_rng(0).choice(users, args.users, replace=False))
    discount = 1 / np.log2(np.arange(2, K + 2))
    settings = list(itertools.product(betas, times))
    recall = dict.fromkeys(settings, 0.0)
    ndcg = dict.fromkeys(settings, 0.0)
    for start in tqdm(range(0, len(users), args.batch), desc="users", unit="batch"):
        batch = users[start : start + args.batch]
        chains = []
        for signal in (model.linear_scores(batch), model.ideal_scores(batch)):
            chain = [torch.from_numpy(signal)]
            for _ in range(4):
                chain.append(model._propagate(chain[-1]))
            chains.append(chain)
        seen = torch.from_numpy(history[batch].toarray() > 0)
        wanted = torch.from_numpy(truth[batch].toarray() > 0)
        n_true = wanted.sum(1).numpy()
        ideal_dcg = np.array([discount[: min(n, K)].sum() for n in n_true])
        for beta, h in settings:
            weights = [(-h) ** j / math.factorial(j) for j in range(5)]
            scores = sum(w * (chains[0][j] + beta * chains[1][j]) for j, w in enumerate(weights))
            scores[seen] = -torch.inf
            hits = wanted.gather(1, torch.topk(scores, K).indices).numpy()
            recall[beta, h] += float((hits.sum(1) / n_true).sum())
            ndcg[beta, h] += float(((hits * discount).sum(1) / ideal_dcg).sum())
    print(f"{args.target}, {len(users)} users, dim {args.dim}, exponent {args.item_exponent}")
    print("beta  time  recall@20  ndcg@20")
    for beta, h in settings:
        mean_recall, mean_ndcg = recall[beta, h] / len(users), ndcg[beta, h] / len(users)
        print(f"{beta:4}  {h:4}  {mean_recall:.4f}     {mean_ndcg:.4f}")


if __name__ == "__main__":
    main()
