"""Commands that train and compare models: train, evaluate, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graphrec.cli.common import (
    StoreOption,
    app,
    console,
    errors,
    fail,
    snapshot_of,
    steps,
    write_or_ask_server,
)
from graphrec.config import get_settings
from graphrec.errors import GraphRecError, InvalidInput
from graphrec.store import GraphStore

#: what the progress line shows of each evaluation (the start has no loss; a refit no recall)
SHOWN = {"loss": "loss", "valid_recall@20": "valid recall@20"}


@app.command()
def train(
    model: Annotated[
        str,
        typer.Option(
            help="auto (tune the candidates within --budget, keep the best), lightgcn, gfcf, "
            "bspm, sage, mf, als, ease, itemknn, blend (--set parts=... weights=...), pop or "
            "random."
        ),
    ] = "auto",
    budget: Annotated[
        float, typer.Option(help="With --model auto: seconds the search may take.")
    ] = 600.0,
    candidates: Annotated[
        str | None,
        typer.Option(
            help="With --model auto: comma-separated models to tune (default: pop, itemknn, gfcf, "
            "als, ease (up to 30,000 items), bspm, lightgcn; mf and sage on request)."
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="auto (GPU when there is one), cpu, cuda.")] = "auto",
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Model argument as key=value (repeatable), e.g. --set epochs=50."
        ),
    ] = None,
    split: Annotated[str, typer.Option(help="auto, given, temporal or cold.")] = "auto",
    snapshot_path: Annotated[
        Path | None,
        typer.Option("--snapshot", help="Train on this snapshot instead of exporting the store."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Artifacts folder (default DATA_DIR/models).")
    ] = None,
    threads: Annotated[
        int, typer.Option(help="CPU threads for torch; 0: one per core (fastest here).")
    ] = 0,
    write_back: Annotated[
        bool,
        typer.Option(
            help="Write Item.embedding and SIMILAR_TO back to the store (not with --snapshot)."
        ),
    ] = True,
    similar_k: Annotated[int, typer.Option(help="SIMILAR_TO edges written per item.")] = 20,
    final_fit: Annotated[
        bool,
        typer.Option(
            help="A model that stops early on the validation carve (lightgcn, sage, mf) is "
            "trained again on training and validation together for its best epochs."
        ),
    ] = True,
    store: StoreOption = None,
) -> None:
    """Train a model, evaluate it on the test split, save a versioned artifact and write
    embeddings and SIMILAR_TO edges back to the store."""
    import torch

    from graphrec.training.train import parse_params
    from graphrec.training.train import train as train_model

    if threads < 0:
        raise fail(InvalidInput(f"--threads must be >= 0, got {threads}"))
    if threads:
        torch.set_num_threads(threads)
    try:
        arguments = {**parse_params(params or []), "device": device}
    except GraphRecError as e:
        raise fail(e) from None
    if model == "auto" and params:
        raise fail(InvalidInput("--set does not go with --model auto (the search sets them)"))
    if budget <= 0:
        raise fail(InvalidInput(f"--budget must be > 0 seconds, got {budget:g}"))
    data = snapshot_of(store, snapshot_path)
    out = out or get_settings().data_dir / "models"
    if model == "auto":
        from graphrec.cli.auto_train import run_auto
        from graphrec.training.tuning import default_candidates

        chosen = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else []
        chosen = chosen or default_candidates(data.num_items)
        folder = run_auto(data, chosen, budget, out, split, device)
        console.print(f"artifact: {folder}")
        if write_back and snapshot_path is None:
            _write_back(store, folder, similar_k)
        return
    from graphrec.models import MODELS
    from graphrec.models.embedding import EmbeddingModel

    model_class = MODELS.get(model)
    try:
        probe = model_class(**arguments) if model_class else None
    except (GraphRecError, TypeError) as e:
        raise fail(e if isinstance(e, GraphRecError) else InvalidInput(f"{model}: {e}")) from None
    total = int(probe.config["epochs"]) if isinstance(probe, EmbeddingModel) else 1
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task(f"train {model}", total=total)
        stage = [f"train {model}"]  # then the final fit's

        def on_eval(row: dict[str, float]) -> None:
            shown = [f"{label} {row[key]:.4f}" for key, label in SHOWN.items() if key in row]
            description = f"{stage[0]}: {', '.join(shown)}"
            progress.update(task, completed=int(row["epoch"]), description=description)

        def on_final_fit(epochs: int) -> None:
            stage[0] = f"train {model} again on training and validation"
            progress.update(task, total=epochs, completed=0, description=stage[0])

        try:
            folder = train_model(
                data,
                model,
                arguments,
                out,
                split,
                on_eval=on_eval,
                final_fit=final_fit,
                on_final_fit=on_final_fit,
            )
        except GraphRecError as e:
            raise fail(e) from None
    meta = json.loads((folder / "model.json").read_text())
    test = meta["metrics"]["test"]
    scores = (
        f"test recall@20 {test['recall@20']:.4f}, ndcg@20 {test['ndcg@20']:.4f}"
        if "recall@20" in test
        else "no shopper has a test interaction to evaluate"
    )
    again = meta.get("final_fit")
    console.print(
        f"{model}: {scores} ({meta['split']['kind']} split, best epoch "
        f"{meta['best_epoch']}, {meta['train_seconds']:.0f} s on {meta['device']}"
        + (
            f"; then trained on training and validation together for {again['epochs']} "
            f"epochs, {again['seconds']:.0f} s)"
            if again
            else ")"
        )
    )
    if meta.get("stopped") == "interrupted":
        console.print("training was stopped (Ctrl-C): the best epoch so far is kept")
    console.print(f"artifact: {folder}")
    if write_back and snapshot_path is None:
        _write_back(store, folder, similar_k)


def _write_back(store: str | None, folder: Path, similar_k: int) -> None:
    """Item embeddings and SIMILAR_TO edges of a trained version, into the store (through the
    server when one holds it)."""
    from graphrec.models.artifact import load_artifact
    from graphrec.training.train import write_back_version

    artifact = load_artifact(folder, device="cpu")

    def local(graph: GraphStore) -> dict[str, int]:
        with steps() as step:
            return step(
                "write embeddings and SIMILAR_TO back",
                lambda: write_back_version(graph, artifact, similar_k),
            )

    written = write_or_ask_server(
        store,
        local,
        "mutation($v: String!, $k: Int!) { writeBack(version: $v, similarK: $k) "
        "{ embeddings similarTo } }",
        {"v": folder.name, "k": similar_k},
        lambda data: {
            "embeddings": data["writeBack"]["embeddings"],
            "similar_to": data["writeBack"]["similarTo"],
        },
    )
    console.print(
        f"written back: {written['embeddings']:,} item embeddings, "
        f"{written['similar_to']:,} SIMILAR_TO edges"
    )


@app.command()
def evaluate(
    artifacts: Annotated[list[Path] | None, typer.Argument(help="Model artifact folders.")] = None,
    baselines: Annotated[
        str, typer.Option(help="Comma-separated: pop, itemknn, mf, ease, als, none.")
    ] = "pop,itemknn",
    snapshot_path: Annotated[
        Path | None,
        typer.Option(
            "--snapshot", help="Data when no artifact is given (default: export the store)."
        ),
    ] = None,
    split: Annotated[
        str, typer.Option(help="auto, given or temporal (with no artifact).")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write a PNG chart of the table here.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Evaluate trained models and baselines side by side on the same split."""
    from graphrec.training.compare import compare, plot_comparison

    try:
        results = compare(
            artifacts or [],
            [b for b in baselines.split(",") if b and b != "none"],
            snapshot=None if artifacts else snapshot_of(store, snapshot_path),
            split_kind=split,
        )
    except GraphRecError as e:
        raise fail(e) from None
    if report is not None:
        plot_comparison(results, report)
    if as_json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
        return
    columns = [
        "recall@20",
        "ndcg@20",
        "precision@20",
        "hit@20",
        "map@20",
        "recall@50",
        "coverage@20",
        "diversity@20",
        "novelty@20",
    ]
    table = Table(
        title=f"{results['split']['kind']} split: {results['split']['test']:,} test "
        f"interactions of {results['split']['users']:,} users"
    )
    table.add_column("model")
    for column in columns:
        table.add_column(column, justify="right")
    for name, metrics in results["models"].items():
        table.add_row(name, *(f"{metrics[c]:.4f}" if c in metrics else "-" for c in columns))
    console.print(table)
    if report is not None:
        console.print(f"chart: {report}")


report_app = typer.Typer(
    help="Reports: the lift of personalised over control.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("html")
def report_html(
    artifacts: Annotated[list[Path] | None, typer.Argument(help="Model artifact folders.")] = None,
    baselines: Annotated[
        str, typer.Option(help="Comma-separated: pop, itemknn, mf, ease, als, none.")
    ] = "pop,itemknn",
    log_dir: Annotated[
        Path | None, typer.Option(help="The serve log folder (default DATA_DIR/log).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = Path("report.html"),
) -> None:
    """One HTML page: every model and baseline side by side, training curves, coverage,
    diversity, popularity bias and the control-group lift, with plots."""
    from graphrec.report import html_report
    from graphrec.serving.lift import lift
    from graphrec.training.compare import compare

    folders = artifacts or []
    wanted = [b.strip() for b in baselines.split(",") if b.strip() and b.strip() != "none"]
    try:
        results = compare(folders, wanted) if folders else None
    except GraphRecError as e:
        raise fail(e) from None
    curves = {}
    for folder in folders:
        meta = json.loads((folder / "model.json").read_text())
        if (folder / "curve.png").is_file():
            curves[f"{meta['model']}@{meta['created_at']}"] = folder / "curve.png"
    logs = log_dir or get_settings().data_dir / "log"
    try:
        measured = lift(logs) if (logs / "served.jsonl").is_file() else None
    except GraphRecError as e:
        raise fail(e) from None
    if results is None and measured is None:
        raise fail(InvalidInput("nothing to report: give model artifacts or a serve log"))
    out.write_text(html_report(results, curves, measured))
    console.print(f"report: {out}")


@report_app.command("lift")
def report_lift(
    log_dir: Annotated[
        Path | None, typer.Option(help="The serve log folder (default DATA_DIR/log).")
    ] = None,
    kinds: Annotated[
        str, typer.Option(help="Event kinds that count as a conversion, comma-separated.")
    ] = "purchase",
    window: Annotated[
        float, typer.Option(help="Hours after an answer in which its conversions count.")
    ] = 24.0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Conversion of personalised answers against the popularity control group, with a 95 %
    confidence interval."""
    from graphrec.serving.lift import lift

    folder = log_dir or get_settings().data_dir / "log"
    wanted = tuple(k.strip() for k in kinds.split(",") if k.strip())
    try:
        result = lift(folder, wanted, int(window * 3600))
    except GraphRecError as e:
        raise fail(e) from None
    if as_json:
        console.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"conversion ({', '.join(wanted)}) within {window:g} h of an answer")
    for column in ("group", "answers", "converted", "rate"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for group in (result.personalized, result.control):
        table.add_row(
            group.group, f"{group.answers:,}", f"{group.converted:,}", f"{group.rate:.4f}"
        )
    console.print(table)
    slots = Table(title="per slot kind: items shown and converted")
    for column in ("slot", "shown", "converted", "rate"):
        slots.add_column(column, justify="left" if column == "slot" else "right")
    for slot in result.slots:
        slots.add_row(slot.slot, f"{slot.shown:,}", f"{slot.converted:,}", f"{slot.rate:.4f}")
    console.print(slots)
    if result.relative is None:
        console.print("lift: not defined yet (a group has no conversions)")
    else:
        console.print(
            f"lift: {result.relative:+.1%} (95 % CI {result.relative_low:+.1%} .. "
            f"{result.relative_high:+.1%}); difference {result.difference:+.4f} "
            f"({result.difference_low:+.4f} .. {result.difference_high:+.4f})"
        )
