"""``graphrec train --model auto``: tune the candidates under a time budget with a progress
bar, print the table of what each model reached on validation, and keep the best."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graphrec.cli.common import console, errors, fail
from graphrec.errors import GraphRecError
from graphrec.training.tuning import settings_text

if TYPE_CHECKING:
    from graphrec.graph.snapshot import Snapshot
    from graphrec.training.tuning import Trial, Tuning


def run_auto(
    data: Snapshot,
    candidates: list[str],
    budget: float,
    out: Path,
    split: str,
    device: str,
) -> Path:
    """Tune, train the best, print the table; the artifact's folder."""
    from graphrec.training.train import train_auto

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task(f"tune {', '.join(candidates)}", total=budget)
        leader: list[Trial] = []

        def on_trial(trial: Trial, spent: float) -> None:
            if trial.score is not None and (not leader or trial.score > (leader[0].score or 0)):
                leader[:] = [trial]
            best = f"best {leader[0].model} {leader[0].score:.4f}" if leader else "no result yet"
            progress.update(
                task,
                completed=min(spent, budget),
                description=f"tune: {trial.model} {settings_text(trial.params)} -> "
                + (f"{trial.score:.4f}" if trial.score is not None else "skipped")
                + f"; {best}",
            )

        try:
            folder, tuning = train_auto(
                data, candidates, budget, out, split, device=device, on_trial=on_trial
            )
        except GraphRecError as e:
            raise fail(e) from None
    print_tuning(tuning)
    meta = json.loads((folder / "model.json").read_text())
    chosen, test = meta["tuning"]["chosen"], meta["metrics"]["test"]
    ended = {"budget": "the budget ran out", "interrupted": "interrupted"}.get(tuning.ended)
    console.print(
        f"chosen: {chosen['model']} {settings_text(chosen['params'])} (validation recall@20 "
        f"{chosen['valid_recall@20']:.4f}{'; search ended early: ' + ended if ended else ''}), "
        "trained again on training and validation data"
        + (f", {chosen['epochs']} epochs (its best)" if chosen.get("epochs") is not None else "")
    )
    if "recall@20" in test:
        console.print(
            f"{chosen['model']}: test recall@20 {test['recall@20']:.4f}, "
            f"ndcg@20 {test['ndcg@20']:.4f} ({meta['split']['kind']} split)"
        )
    return folder


def print_tuning(tuning: Tuning) -> None:
    table = Table(title=f"tuning: {len(tuning.trials)} trials in {tuning.seconds:.0f} s")
    for column in ("model", "valid recall@20", "best settings", "trials", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("trials", "seconds") else "left")
    for row in tuning.table():
        score = row["valid_recall@20"]
        note = row["error"] or row["note"] or ("" if row["servable"] else "not servable")
        table.add_row(
            row["model"],
            f"{score:.4f}" if score is not None else "-",
            settings_text(row["params"]),
            str(row["trials"]),
            f"{row['seconds']:.0f}",
            note,
        )
    console.print(table)
