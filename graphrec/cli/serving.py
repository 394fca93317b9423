"""Commands that serve: serve, models (list, activate, roll back), schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from graphrec.cli.common import (
    StoreOption,
    app,
    console,
    errors,
    fail,
    opened,
    write_or_ask_server,
)
from graphrec.config import get_settings
from graphrec.errors import GraphRecError, InvalidInput


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
    graphiql: Annotated[
        bool | None,
        typer.Option(
            "--graphiql/--no-graphiql",
            help="Serve GraphiQL (from the package) to a browser at /graphql. Default: on when "
            "the server binds a loopback address (127.0.0.1, ::1, localhost), else off.",
            show_default=False,
        ),
    ] = None,
    dev: Annotated[bool, typer.Option("--dev", hidden=True, help="--graphiql.")] = False,
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
    from graphrec.api.server import ServeOptions, graphiql_on, run

    settings = get_settings()
    host = host or settings.host
    poller = None
    try:
        if dev:  # the old name
            if graphiql is False:
                raise InvalidInput("--dev is --graphiql: not with --no-graphiql")
            graphiql = True
        if busy_poll:  # checked before the long load
            if workers > 1:
                raise InvalidInput("--busy-poll pins one worker: not with --workers")
            from graphrec.api.cpu import BusyPoll, default_cpu

            poller = BusyPoll(default_cpu() if cpu is None else cpu)
        elif cpu is not None:
            raise InvalidInput("--cpu is the core for --busy-poll: give both")
        if not settings.api_key:
            errors.print("GRAPHREC_API_KEY is not set: mutations and personal data are refused.")
        options = ServeOptions(
            store=store,
            artifact=str(artifact) if artifact is not None else None,
            graphiql=graphiql_on(graphiql, host),
            fast_path=fast_path,
        )
        run(
            options,
            host,
            port or settings.port,
            workers=workers,
            say=lambda line: errors.print(line, highlight=False),
            poller=poller,
        )
    except GraphRecError as e:
        raise fail(e) from None


models_app = typer.Typer(help="Model versions: list, activate, roll back.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _models_folder() -> Path:
    return get_settings().data_dir / "models"


@models_app.command("list")
def models_list(store: StoreOption = None) -> None:
    """Every trained version, oldest first; * marks the one the store says to serve."""
    import datetime

    from graphrec.models import versions

    with opened(store, read_only=True) as graph:
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

    active = write_or_ask_server(
        store,
        lambda graph: versions.activate(graph, _models_folder(), version).name,
        "mutation($v: String!) { activateModel(version: $v) { version } }",
        {"v": version},
        lambda data: str(data["activateModel"]["version"]),
    )
    console.print(f"active: {active}")


@models_app.command("rollback")
def models_rollback(store: StoreOption = None) -> None:
    """Activate the version that was active before the current one."""
    from graphrec.models import versions

    active = write_or_ask_server(
        store,
        lambda graph: versions.rollback(graph, _models_folder()).name,
        "mutation { rollbackModel { version } }",
        {},
        lambda data: str(data["rollbackModel"]["version"]),
    )
    console.print(f"active: {active}")


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
