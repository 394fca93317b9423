"""Seconds per LightGCN training epoch on the CPU: graphrec's fast path against PyG's stock
``LightGCN`` (``edge_index`` message passing) side by side, on the same snapshot and batches.

    python benchmarks/train/cpu_epoch.py SNAPSHOT [--batch-size 2048 16384] [--pyg-batches 3]

The fast path runs a whole epoch (no validation pass); PyG's model runs ``--pyg-batches``
batches and is extrapolated to an epoch (a whole one takes many minutes). The time of one
forward propagation is printed first: on a shared machine it tells how fast the machine is now.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch_geometric.nn import LightGCN as PyGLightGCN

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models.lightgcn import LightGCN

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


def fast_epoch(split, batch_size: int) -> float:  # type: ignore[no-untyped-def]
    """One training epoch of the fast path (no validation pass), BPR as in the paper."""
    model = LightGCN(loss="bpr", batch_size=batch_size, device="cpu")
    generator = torch.Generator().manual_seed(0)
    model.num_users, model.num_items = split.num_users, split.num_items
    optimizer = torch.optim.Adam(model._setup(split, generator), lr=1e-3)
    coo = split.train.tocoo()
    pairs = (torch.from_numpy(coo.row.astype(np.int64)), torch.from_numpy(coo.col.astype(np.int64)))
    started = time.perf_counter()
    model._epoch(optimizer, pairs, generator)
    return time.perf_counter() - started


def propagation_seconds(split) -> float:  # type: ignore[no-untyped-def]
    """One 3-layer propagation, forward only: how fast this machine is right now."""
    model = LightGCN(device="cpu")
    model.num_users, model.num_items = split.num_users, split.num_items
    model._setup(split, torch.Generator().manual_seed(0))
    started = time.perf_counter()
    with torch.no_grad():
        model._encode()
    return time.perf_counter() - started


def pyg_batches(split, batch_size: int, batches: int) -> float:  # type: ignore[no-untyped-def]
    coo = split.train.tocoo()
    users, items = coo.row.astype(np.int64), coo.col.astype(np.int64) + split.num_users
    edge_index = torch.from_numpy(
        np.stack([np.concatenate([users, items]), np.concatenate([items, users])])
    )
    model = PyGLightGCN(split.num_users + split.num_items, 64, 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    started = time.perf_counter()
    for _ in range(batches):
        index = torch.randint(0, len(users), (batch_size,))
        neg = torch.randint(0, split.num_items, (batch_size,)) + split.num_users
        label_index = torch.stack([torch.from_numpy(users)[index], torch.from_numpy(items)[index]])
        neg_index = torch.stack([label_index[0], neg])
        pos_rank = model(edge_index, label_index)
        neg_rank = model(edge_index, neg_index)
        loss = model.recommendation_loss(pos_rank, neg_rank, node_id=label_index.unique())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) / batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[2048, 16384])
    parser.add_argument("--pyg-batches", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    split = make_split(Snapshot.load(args.snapshot))
    batches_per_epoch = {b: -(-split.train.nnz // b) for b in args.batch_size}
    print(
        f"train pairs {split.train.nnz:,}, threads {args.threads}, one propagation "
        f"{propagation_seconds(split):.3f} s"
    )
    for batch_size in args.batch_size:
        seconds = fast_epoch(split, batch_size)
        print(
            f"graphrec fast path, batch {batch_size}: {seconds:.1f} s/epoch "
            f"({batches_per_epoch[batch_size]} batches)",
            flush=True,
        )
        per_batch = pyg_batches(split, batch_size, args.pyg_batches)
        pyg_epoch = per_batch * batches_per_epoch[batch_size]
        print(
            f"PyG LightGCN edge_index,  batch {batch_size}: {per_batch:.2f} s/batch -> "
            f"{pyg_epoch:.0f} s/epoch; fast path is {pyg_epoch / seconds:.0f}x faster",
            flush=True,
        )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
