"""Every model and baseline tuned the same way on one shop, side by side on its test split.

    python benchmarks/quality/run.py SNAPSHOT --budget 1800 [--models ease,gfcf,bspm,als,...]
    python benchmarks/quality/run.py SNAPSHOT --models lightgcn --params '{"lightgcn": {...}}'

The search is ``graphrec train --model auto``'s (graphrec/training/tuning.py): settings chosen
on the validation carve of the training data only (``--params``: no search, the settings given).
After the search (or the given settings' trials), the two best models blended, weights chosen on
validation (a row "blend"; ``--no-blend``: none). Then each model's best settings are trained
again on training and validation data (a model that stops early, for its best epochs:
``fit_final``) and evaluated once on test.
Prints a table (validation recall@20, test recall@20 and ndcg@20, seconds) and writes it as JSON
beside the script.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from graphrec.evaluation import evaluate, rated_at_least
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.training.blending import BLENDED, blend_trials, tune_and_blend
from graphrec.training.train import fit_final, item_category
from graphrec.training.tuning import CANDIDATES, Trial, Tuning, fit_trial, kept, settings_text

warnings.filterwarnings("ignore", message=".*[Ss]parse.*")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds for the search")
    parser.add_argument("--models", default=",".join(CANDIDATES))
    parser.add_argument("--split", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument(
        "--liked", type=float, help="also evaluate on the test pairs rated this or more"
    )
    parser.add_argument(
        "--params",
        help="no search: one trial of each model with these settings, as JSON by model",
    )
    parser.add_argument(
        "--no-blend", action="store_true", help="no blend of the two best models after the search"
    )
    args = parser.parse_args()
    snapshot = Snapshot.load(args.snapshot)
    split = make_split(snapshot, args.split)
    print(f"{args.snapshot.name}: {split.kind} split {split.describe()}", flush=True)

    def on_trial(trial: Trial, spent: float) -> None:
        score = f"{trial.score:.4f}" if trial.score is not None else trial.error
        note = f"  {trial.note}" if trial.note else ""
        print(f"  {spent:7.0f} s  {trial.model:9s} {trial.params}  valid {score}{note}", flush=True)

    models = [m for m in args.models.split(",") if m]
    if args.params:
        settings = json.loads(args.params)
        tuning = Tuning()
        for model in models:
            trial, fitted = fit_trial(model, settings.get(model, {}), split, args.device, snapshot)
            tuning.trials.append(trial)
            kept(tuning, trial, fitted, 0 if args.no_blend else BLENDED)
            on_trial(trial, trial.seconds)
        for trial in blend_trials(tuning, split, args.device, snapshot):
            tuning.trials.append(trial)
            on_trial(trial, trial.seconds)
        tuning.fitted.clear()
    else:
        tuning = tune_and_blend(
            split,
            models,
            args.budget,
            device=args.device,
            on_trial=on_trial,
            snapshot=snapshot,
            blend=not args.no_blend,
        )
    category = item_category(snapshot)
    rows: list[dict[str, Any]] = []
    for row in tuning.table():
        if row["valid_recall@20"] is None:
            rows.append({**row, "test": {}})
            continue
        best = tuning.best(row["model"])
        assert best is not None  # the row has a validation score
        started = time.perf_counter()
        model, final, _ = fit_final(best, split, snapshot, args.device)
        fit_seconds = time.perf_counter() - started
        test = evaluate(model, final, item_category=category)
        if args.liked is not None:
            liked = evaluate(model, rated_at_least(final, snapshot, args.liked))
            test["liked_recall@20"], test["liked_users"] = liked["recall@20"], liked["users"]
        rows.append({**row, "fit_seconds": fit_seconds, "test": test})
        print(
            f"{row['model']:9s} test recall@20 {test['recall@20']:.4f} "
            f"ndcg@20 {test['ndcg@20']:.4f} (fit {fit_seconds:.0f} s)"
            + (f", liked recall@20 {test['liked_recall@20']:.4f}" if args.liked else ""),
            flush=True,
        )
    print()
    print("| model | best settings | valid recall@20 | test recall@20 | test ndcg@20 | fit s |")
    print("|---|---|---:|---:|---:|---:|")
    for row in sorted(rows, key=lambda r: -r["test"].get("recall@20", -1)):
        settings = settings_text(row["params"])
        if not row["test"]:
            print(f"| {row['model']} | {row['error']} | | | | |")
            continue
        print(
            f"| {row['model']} | {settings} | {row['valid_recall@20']:.4f} | "
            f"{row['test']['recall@20']:.4f} | {row['test']['ndcg@20']:.4f} | "
            f"{row['fit_seconds']:.0f} |"
        )
    result = {
        "snapshot": str(args.snapshot),
        "split": split.describe(),
        "threads": torch.get_num_threads(),
        "tuning": tuning.as_dict(),
        "rows": rows,
    }
    out = args.out / f"results-{args.snapshot.name}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\n{out}")


if __name__ == "__main__":
    main()
