"""Several models and baselines evaluated on one split, side by side, in numbers and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphrec.errors import InvalidInput
from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.artifact import load_artifact
from graphrec.training.train import item_category

BASELINE_PARAMS: dict[str, dict[str, Any]] = {
    "pop": {},
    "itemknn": {},
    "mf": {},
    "ease": {},
    "als": {},
}


def compare(
    artifacts: list[Path],
    baselines: list[str],
    snapshot: Snapshot | None = None,
    split_kind: str = "auto",
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of every artifact and baseline on the same split of the same data."""
    loaded = [load_artifact(path) for path in artifacts]
    if loaded:
        prints = {a.meta["data_fingerprint"] for a in loaded}
        kinds = {(a.meta["split"]["kind"], a.meta["split"]["seed"]) for a in loaded}
        if len(prints) > 1 or len(kinds) > 1:
            raise InvalidInput(
                "artifacts were trained on different data or splits and cannot be compared: "
                + ", ".join(
                    f"{a.path.name} ({a.meta['data_fingerprint']}, {a.meta['split']['kind']})"
                    for a in loaded
                )
            )
        snapshot = loaded[0].snapshot
        split_kind, seed = next(iter(kinds))
    if snapshot is None:
        raise InvalidInput("nothing to evaluate: give artifacts or a snapshot")
    unknown = [name for name in baselines if name not in BASELINE_PARAMS]
    if unknown:
        raise InvalidInput(f"unknown baseline(s) {unknown}; expected {sorted(BASELINE_PARAMS)}")
    split = make_split(snapshot, split_kind, seed=seed)
    category = item_category(snapshot)
    models: dict[str, dict[str, float]] = {}
    for artifact in loaded:
        label = f"{artifact.meta['model']}@{artifact.meta['created_at']}"
        models[label] = evaluate(artifact.model, split, item_category=category)
    for name in baselines:
        model = MODELS[name](**BASELINE_PARAMS[name])
        model.use_snapshot(snapshot)
        model.fit(split)
        models[name] = evaluate(model, split, item_category=category)
    return {
        "split": {"kind": split.kind, "seed": seed, **split.describe()},
        "data_fingerprint": snapshot.meta["fingerprint"],
        "models": models,
    }


def bar_figure(results: dict[str, Any], metrics: list[str], title: str) -> Any:
    """One panel per metric (those the results have), one bar per model; None if none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["models"])
    present = [m for m in metrics if any(m in row for row in results["models"].values())]
    if not present:
        return None
    fig, axes = plt.subplots(1, len(present), figsize=(4 * len(present), 3.8), squeeze=False)
    palette = plt.get_cmap("tab10")
    for axis, metric in zip(axes[0], present, strict=True):
        values = [results["models"][name].get(metric, 0.0) for name in names]
        axis.bar(range(len(names)), values, color=[palette(i % 10) for i in range(len(names))])
        axis.set_title(metric)
        axis.set_xticks(range(len(names)), [_short(n) for n in names], rotation=30, ha="right")
        for x, value in enumerate(values):
            axis.text(x, value, f"{value:.3g}", ha="center", va="bottom", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _short(label: str) -> str:
    """``gfcf@20261122T232420Z`` -> ``gfcf 23:24:20``: tell artifacts of one day apart."""
    model, _, stamp = label.partition("@")
    return f"{model} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}" if len(stamp) >= 15 else model


def plot_comparison(results: dict[str, Any], target: Path) -> None:
    """Recall, NDCG, coverage and novelty at 20, one bar per model, as a PNG."""
    import matplotlib.pyplot as plt

    split = results["split"]
    fig = bar_figure(
        results,
        ["recall@20", "ndcg@20", "coverage@20", "novelty@20"],
        f"{split['kind']} split, {split['users']:,} users, {split['items']:,} items",
    )
    if fig is None:
        raise InvalidInput("no metric at k = 20 to plot (is the catalogue smaller than 20?)")
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
