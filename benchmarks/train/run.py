"""Train models on a snapshot and report time to quality, test metrics and peak memory.

    python benchmarks/train/run.py SNAPSHOT --config '{"model": "lightgcn", "loss": "bpr"}' ...

Each ``--config`` is one run (JSON: ``model`` plus the model's arguments). Prints each
evaluation as it happens and a final table; writes results.json (and curves) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.training.train import item_category

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


def peak_memory_mb(device: torch.device) -> dict[str, float]:
    out = {"cpu_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.type == "cuda":
        out["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--config", action="append", required=True)
    parser.add_argument("--split", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    snapshot = Snapshot.load(args.snapshot)
    split = make_split(snapshot, args.split)
    print(f"split {split.kind}: {split.describe()}", flush=True)
    results: list[dict[str, Any]] = []
    for text in args.config:
        config = json.loads(text)
        name = config.pop("model")
        model = MODELS[name](**config)
        model.use_snapshot(snapshot)
        if model.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        print(f"== {name} {config} on {model.device}", flush=True)
        started = time.perf_counter()
        history = model.fit(
            split,
            on_eval=lambda row: print(
                "  "
                + " ".join(
                    f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            ),
        )
        train_seconds = time.perf_counter() - started
        test = evaluate(model, split, item_category=item_category(snapshot))
        row = {
            "model": name,
            "config": config,
            "device": str(model.device),
            "train_seconds": train_seconds,
            "best_epoch": history.best_epoch,
            "curve": history.rows,
            "test": test,
            **peak_memory_mb(model.device),
        }
        results.append(row)
        print(
            f"   test recall@20={test['recall@20']:.4f} ndcg@20={test['ndcg@20']:.4f} "
            f"train {train_seconds:.1f}s best_epoch={history.best_epoch}",
            flush=True,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.node(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "snapshot": snapshot.meta["fingerprint"],
        "split": split.describe(),
    }
    (args.out / "results.json").write_text(
        json.dumps({"meta": meta, "runs": results}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
