"""The ``graphrec`` command line: load, stats, export, derive, train, evaluate, serve, schema,
explore, report, delete-user, reset."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graphrec.config import get_settings
from graphrec.errors import GraphRecError, InvalidInput, StoreInUse
from graphrec.store import GraphStore, open_store

if TYPE_CHECKING:
    from graphrec.graph.snapshot import Snapshot

app = typer.Typer(
    help="graphrec: a graph-based product recommender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console() if sys.stdout.isatty() else Console(width=160)
errors = Console(stderr=True)
T = TypeVar("T")

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="GRAPHREC_STORE",
        show_envvar=True,
        help="neo4j://HOST, bolt://HOST or an embedded store folder (default: .graphrec/store).",
    ),
]


def _fail(e: GraphRecError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {e}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=2 if isinstance(e, InvalidInput) else 1)


@contextmanager
def _store(url: str | None, read_only: bool = False) -> Iterator[GraphStore]:
    """The store a command works on. ``read_only`` (commands that only read): the embedded store
    is opened read-only when it exists, so they run beside a process that writes to it, such as
    ``graphrec serve``; they see it as it was when they opened it."""
    try:
        store = open_store(url, read_only=read_only)
    except GraphRecError as e:
        raise _fail(e) from None
    try:
        yield store
    except GraphRecError as e:
        raise _fail(e) from None
    finally:
        store.close()


def _write(
    store: str | None,
    local: Callable[[GraphStore], T],
    mutation: str,
    variables: dict[str, Any],
) -> T | dict[str, Any]:
    """A write to the store (``local``); when ``graphrec serve`` holds the embedded store, the
    API ``mutation`` sent to it instead (its data is returned)."""
    from graphrec.api import running

    try:
        graph = open_store(store)
    except StoreInUse as e:
        url = running.server_of(e.path)
        if url is None:
            raise _fail(e) from None
        errors.print(f"graphrec serve holds the store: asking it at {url}")
        try:
            return running.ask(url, mutation, variables, get_settings().api_key)
        except GraphRecError as failed:
            raise _fail(failed) from None
    except GraphRecError as e:
        raise _fail(e) from None
    try:
        return local(graph)
    except GraphRecError as e:
        raise _fail(e) from None
    finally:
        graph.close()


@contextmanager
def _steps() -> Iterator[Callable[[str, Callable[[], T]], T]]:
    """A progress display of named steps, each timed as it runs."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
        disable=not errors.is_terminal,
    ) as progress:

        def step(name: str, work: Callable[[], T]) -> T:
            task = progress.add_task(name, total=1)
            outcome = work()
            progress.update(task, completed=1, description=f"[green]✓[/] {name}")
            return outcome

        yield step


@app.command()
def load(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="lightgcn, amazon, movielens or csv.")
    ],
    path: Annotated[Path, typer.Argument(help="The dataset's folder.")],
    store: StoreOption = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Load the good rows and report every bad one.")
    ] = False,
    derive: Annotated[bool, typer.Option(help="Recompute BOUGHT_WITH edges after loading.")] = True,
) -> None:
    """Load a dataset into the store. All or nothing; loading it twice changes nothing."""
    from graphrec.data import load as load_source
    from graphrec.serving.admin import derive_bought_with

    with _store(store) as graph, _steps() as step:
        report = step(
            f"load {fmt} from {path}",
            lambda: load_source(graph, fmt, path, skip_invalid=skip_invalid),
        )
        derived = step("derive BOUGHT_WITH", lambda: derive_bought_with(graph)) if derive else None
    table = Table(title=f"{fmt} -> {graph.url} in {report.seconds:.1f} s")
    for column in ("table", "rows read", "created", "updated"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, rows in report.rows.items():
        table.add_row(
            name,
            f"{rows:,}",
            f"{report.written.created.get(name, 0):,}",
            f"{report.written.updated.get(name, 0):,}",
        )
    console.print(table)
    if derived is not None:
        console.print(f"BOUGHT_WITH edges: {derived:,}")
    if report.skipped:
        errors.print(f"[yellow]skipped {len(report.skipped)} invalid row(s):[/]")
        for problem in report.skipped:
            errors.print(f"  {problem}", highlight=False, markup=False)


@app.command()
def stats(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
) -> None:
    """Counts per node label and relationship type."""
    with _store(store, read_only=True) as graph:
        counts = graph.counts()
    if as_json:
        sys.stdout.write(json.dumps(counts.as_dict(), indent=2) + "\n")
        return
    table = Table(title=f"graph at {graph.url}")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, n in counts.nodes.items():
        table.add_row("node", label, f"{n:,}")
    for rel, n in counts.relationships.items():
        table.add_row("relationship", rel, f"{n:,}")
    console.print(table)


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Folder for the snapshot.")] = Path(
        ".graphrec/snapshot"
    ),
    store: StoreOption = None,
) -> None:
    """Write a training snapshot: contiguous ids, interaction arrays, item features."""
    from graphrec.graph.snapshot import export_snapshot

    with _store(store, read_only=True) as graph, _steps() as step:
        snapshot = step("export snapshot", lambda: export_snapshot(graph))
        step(f"write {out}", lambda: snapshot.save(out))
    counts = ", ".join(f"{k} {v:,}" for k, v in snapshot.meta["counts"].items())
    console.print(
        f"snapshot {snapshot.meta['fingerprint']} -> {out} ({counts}) in "
        f"{snapshot.meta['export_seconds']:.2f} s"
    )


@app.command()
def derive(store: StoreOption = None) -> None:
    """Recompute the BOUGHT_WITH co-interaction edges."""
    from graphrec.serving.admin import derive_bought_with

    def local(graph: GraphStore) -> int:
        with _steps() as step:
            return step("derive BOUGHT_WITH", lambda: derive_bought_with(graph))

    done = _write(store, local, "mutation { deriveBoughtWith { edges } }", {})
    n = done["deriveBoughtWith"]["edges"] if isinstance(done, dict) else done
    console.print(f"BOUGHT_WITH edges: {n:,}")


def _snapshot(store: str | None, path: Path | None) -> Snapshot:
    from graphrec.graph.snapshot import Snapshot, export_snapshot

    if path is not None:
        try:
            return Snapshot.load(path)
        except GraphRecError as e:
            raise _fail(e) from None
    with _store(store, read_only=True) as graph:
        return export_snapshot(graph)


@app.command()
def train(
    model: Annotated[
        str, typer.Option(help="lightgcn, gfcf, bspm, sage, mf, itemknn, pop or random.")
    ] = "lightgcn",
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
    store: StoreOption = None,
) -> None:
    """Train a model, evaluate it on the test split, save a versioned artifact and write
    embeddings and SIMILAR_TO edges back to the store."""
    import torch

    from graphrec.training.train import parse_params
    from graphrec.training.train import train as train_model

    if threads < 0:
        raise _fail(InvalidInput(f"--threads must be >= 0, got {threads}"))
    if threads:
        torch.set_num_threads(threads)
    try:
        arguments = {**parse_params(params or []), "device": device}
    except GraphRecError as e:
        raise _fail(e) from None
    data = _snapshot(store, snapshot_path)
    out = out or get_settings().data_dir / "models"
    from graphrec.models import MODELS
    from graphrec.models.embedding import EmbeddingModel

    model_class = MODELS.get(model)
    try:
        probe = model_class(**arguments) if model_class else None
    except (GraphRecError, TypeError) as e:
        raise _fail(e if isinstance(e, GraphRecError) else InvalidInput(f"{model}: {e}")) from None
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

        def on_eval(row: dict[str, float]) -> None:
            progress.update(
                task,
                completed=int(row["epoch"]),
                description=(
                    f"train {model}: loss {row['loss']:.4f}, "
                    f"valid recall@20 {row['valid_recall@20']:.4f}"
                ),
            )

        try:
            folder = train_model(data, model, arguments, out, split, on_eval=on_eval)
        except GraphRecError as e:
            raise _fail(e) from None
    meta = json.loads((folder / "model.json").read_text())
    test = meta["metrics"]["test"]
    scores = (
        f"test recall@20 {test['recall@20']:.4f}, ndcg@20 {test['ndcg@20']:.4f}"
        if "recall@20" in test
        else "no shopper has a test interaction to evaluate"
    )
    console.print(
        f"{model}: {scores} ({meta['split']['kind']} split, best epoch "
        f"{meta['best_epoch']}, {meta['train_seconds']:.0f} s on {meta['device']})"
    )
    console.print(f"artifact: {folder}")
    if write_back and snapshot_path is None:
        from graphrec.models.artifact import load_artifact
        from graphrec.training.train import write_back as write_to_store

        artifact = load_artifact(folder, device="cpu")

        def local(graph: GraphStore) -> dict[str, int]:
            with _steps() as step:
                return step(
                    "write embeddings and SIMILAR_TO back",
                    lambda: write_to_store(graph, artifact.model, artifact.snapshot, similar_k),
                )

        sent = _write(
            store,
            local,
            "mutation($v: String!, $k: Int!) { writeBack(version: $v, similarK: $k) "
            "{ embeddings similarTo } }",
            {"v": folder.name, "k": similar_k},
        )
        written: dict[str, Any] = dict(sent)
        if "writeBack" in written:  # the server's answer
            back = written.pop("writeBack")
            written = {"embeddings": back["embeddings"], "similar_to": back["similarTo"]}
        console.print(
            f"written back: {written['embeddings']:,} item embeddings, "
            f"{written['similar_to']:,} SIMILAR_TO edges"
        )


@app.command()
def evaluate(
    artifacts: Annotated[list[Path] | None, typer.Argument(help="Model artifact folders.")] = None,
    baselines: Annotated[
        str, typer.Option(help="Comma-separated: pop, itemknn, mf, none.")
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
            snapshot=None if artifacts else _snapshot(store, snapshot_path),
            split_kind=split,
        )
    except GraphRecError as e:
        raise _fail(e) from None
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


@app.command()
def serve(
    artifact: Annotated[
        Path | None,
        typer.Option(
            help="Model artifact to serve (default: the version the store says is active, else "
            "the newest under DATA_DIR/models; see graphrec models)."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (more than 1 needs Neo4j; about one per core). Each follows "
            "what the others write through the store.",
        ),
    ] = 1,
    dev: Annotated[bool, typer.Option(help="Serve GraphiQL at /graphql.")] = False,
    fast_path: Annotated[
        bool, typer.Option(help="Answer repeated queries through compiled plans.")
    ] = True,
    store: StoreOption = None,
    busy_poll: Annotated[
        bool,
        typer.Option(
            help="Pin the worker to one core (--cpu) and keep that core busy between requests "
            "with an idle-priority thread: lower latency under load, at the cost of the core "
            "at 100 %. Linux only, one worker."
        ),
    ] = False,
    cpu: Annotated[
        int | None,
        typer.Option(help="Core for --busy-poll (default: the last this process may use)."),
    ] = None,
) -> None:
    """Serve the GraphQL API (uvicorn) from the store and a trained model version."""
    from graphrec.api.server import ServeOptions, run

    settings = get_settings()
    poller = None
    try:
        if busy_poll:  # checked before the long load
            if workers > 1:
                raise InvalidInput("--busy-poll pins one worker: not with --workers")
            from graphrec.api.cpu import BusyPoll, default_cpu

            poller = BusyPoll(default_cpu() if cpu is None else cpu)
        elif cpu is not None:
            raise InvalidInput("--cpu is the core for --busy-poll: give both")
        if not settings.api_key:
            errors.print("GRAPHREC_API_KEY is not set: mutations are refused.")
        options = ServeOptions(
            store=store,
            artifact=str(artifact) if artifact is not None else None,
            dev=dev,
            fast_path=fast_path,
        )
        run(
            options,
            host or settings.host,
            port or settings.port,
            workers=workers,
            say=lambda line: errors.print(line, highlight=False),
            poller=poller,
        )
    except GraphRecError as e:
        raise _fail(e) from None


models_app = typer.Typer(help="Model versions: list, activate, roll back.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _models_folder() -> Path:
    return get_settings().data_dir / "models"


@models_app.command("list")
def models_list(store: StoreOption = None) -> None:
    """Every trained version, oldest first; * marks the one the store says to serve."""
    import datetime

    from graphrec.models import versions

    with _store(store, read_only=True) as graph:
        active = versions.active(graph)
    table = Table(title=f"model versions under {_models_folder()}")
    for column in ("", "version", "model", "trained", "test recall@20", "servable"):
        table.add_column(column)
    for version in versions.versions(_models_folder()):
        test = version.meta.get("metrics", {}).get("test", {})
        recall = test.get("recall@20")
        table.add_row(
            "*" if version.name == active else "",
            version.name,
            version.model,
            datetime.datetime.fromtimestamp(version.created, datetime.UTC).strftime(
                "%Y-%m-%d %H:%M"
            ),
            f"{recall:.4f}" if recall is not None else "-",
            "yes" if version.servable else "no",
        )
    console.print(table)


@models_app.command("activate")
def models_activate(
    version: Annotated[str, typer.Argument(help="A version from graphrec models list.")],
    store: StoreOption = None,
) -> None:
    """Make VERSION the one every serving process serves (they switch within seconds)."""
    from graphrec.models import versions

    done = _write(
        store,
        lambda graph: versions.activate(graph, _models_folder(), version).name,
        "mutation($v: String!) { activateModel(version: $v) { version } }",
        {"v": version},
    )
    console.print(f"active: {done['activateModel']['version'] if isinstance(done, dict) else done}")


@models_app.command("rollback")
def models_rollback(store: StoreOption = None) -> None:
    """Activate the version that was active before the current one."""
    from graphrec.models import versions

    done = _write(
        store,
        lambda graph: versions.rollback(graph, _models_folder()).name,
        "mutation { rollbackModel { version } }",
        {},
    )
    console.print(f"active: {done['rollbackModel']['version'] if isinstance(done, dict) else done}")


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("api/schema.graphql"),
    check: Annotated[
        bool, typer.Option(help="Fail (exit 1) when the file differs from the code.")
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) to api/schema.graphql, or check it is current."""
    from graphrec.api.schema import schema as graphql_schema

    sdl = graphql_schema.as_str() + "\n"
    if check:
        if not out.is_file() or out.read_text() != sdl:
            errors.print(f"{out} is out of date: run `graphrec schema`")
            raise typer.Exit(code=1)
        console.print(f"{out} is current")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(sdl)
    console.print(f"wrote {out}")


@app.command()
def explore(
    name: Annotated[
        str | None, typer.Argument(help="A saved query (cypher/explore/, cypher/explore-neo4j/).")
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option("--set", help="Query parameter as key=value, e.g. --set item_id=B0001."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Run a merchandiser's saved query (cypher/explore/) and print its rows; without a name,
    list the queries and what each asks."""
    from graphrec.store.cypher import EXPLORE_NEO4J, saved_queries
    from graphrec.training.train import parse_params

    if name is None:
        listing = Table("query", "question")
        for stem, path in saved_queries(neo4j=True).items():
            lines = path.read_text().splitlines()
            comment = " ".join(ln.lstrip("/ ") for ln in lines if ln.startswith("//"))
            only = "(Neo4j) " if path.parent.name == EXPLORE_NEO4J else ""
            listing.add_row(stem, only + comment.split(" Neo4j Browser:")[0])
        console.print(listing)
        return
    if name not in saved_queries(neo4j=True):
        known = ", ".join(saved_queries(neo4j=True))
        raise _fail(InvalidInput(f"no saved query {name!r}; the queries are: {known}"))
    try:
        arguments = {"limit": 20, **parse_params(params or [])}
    except GraphRecError as e:
        raise _fail(e) from None
    with _store(store, read_only=True) as graph:
        rows = graph.explore(name, **arguments)
    if not rows:
        console.print(f"{name}: no rows")
        return
    columns = [c for c in rows[0] if not isinstance(rows[0][c], dict)]
    table = Table(*columns, title=f"{name}: {len(rows)} row(s)")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


report_app = typer.Typer(
    help="Reports: the lift of personalised over control.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("html")
def report_html(
    artifacts: Annotated[list[Path] | None, typer.Argument(help="Model artifact folders.")] = None,
    baselines: Annotated[
        str, typer.Option(help="Comma-separated: pop, itemknn, mf, none.")
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
        raise _fail(e) from None
    curves = {}
    for folder in folders:
        meta = json.loads((folder / "model.json").read_text())
        if (folder / "curve.png").is_file():
            curves[f"{meta['model']}@{meta['created_at']}"] = folder / "curve.png"
    logs = log_dir or get_settings().data_dir / "log"
    try:
        measured = lift(logs) if (logs / "served.jsonl").is_file() else None
    except GraphRecError as e:
        raise _fail(e) from None
    if results is None and measured is None:
        raise _fail(InvalidInput("nothing to report: give model artifacts or a serve log"))
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
        raise _fail(e) from None
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
    if result.relative is None:
        console.print("lift: not defined yet (a group has no conversions)")
    else:
        console.print(
            f"lift: {result.relative:+.1%} (95 % CI {result.relative_low:+.1%} .. "
            f"{result.relative_high:+.1%}); difference {result.difference:+.4f} "
            f"({result.difference_low:+.4f} .. {result.difference_high:+.4f})"
        )


@app.command("delete-user")
def delete_user(user_id: str, store: StoreOption = None) -> None:
    """Delete a user with every interaction (privacy request)."""
    with _store(store) as graph:
        if not graph.delete_user(user_id):
            raise _fail(InvalidInput(f"no user {user_id!r} in {graph.url}"))
    console.print(f"deleted user {user_id!r} and everything attached")


@app.command()
def reset(
    store: StoreOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm deleting everything.")] = False,
) -> None:
    """Delete every node and relationship of the store."""
    if not yes:
        raise _fail(InvalidInput("reset deletes the whole graph: add --yes to confirm"))
    with _store(store) as graph:
        graph.clear()
    console.print(f"cleared {graph.url}")


if __name__ == "__main__":
    app()
