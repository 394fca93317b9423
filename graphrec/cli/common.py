"""What every command shares: the Typer app, the consoles, the ``--store`` option, opening
the store (read-only beside a server, or through a server that holds it), progress steps."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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


@app.callback()
def _owner_only() -> None:
    """Before every command: what graphrec writes (the embedded store, logs, model versions,
    caches) is readable by its owner alone."""
    os.umask(0o077)


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


def fail(e: GraphRecError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {e}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=2 if isinstance(e, InvalidInput) else 1)


@contextmanager
def opened(url: str | None, read_only: bool = False) -> Iterator[GraphStore]:
    """The store a command works on. ``read_only`` (commands that only read): the embedded store
    is opened read-only when it exists, so they run beside a process that writes to it, such as
    ``graphrec serve``; they see it as it was when they opened it."""
    try:
        store = open_store(url, read_only=read_only)
    except GraphRecError as e:
        raise fail(e) from None
    try:
        yield store
    except GraphRecError as e:
        raise fail(e) from None
    finally:
        store.close()


def write_or_ask_server(
    store: str | None,
    local: Callable[[GraphStore], T],
    mutation: str,
    variables: dict[str, Any],
    answer: Callable[[dict[str, Any]], T],
) -> T:
    """A write to the store (``local``); when ``graphrec serve`` holds the embedded store, the
    API ``mutation`` sent to it instead, its data read by ``answer`` as ``local`` returns."""
    from graphrec.api import running

    try:
        graph = open_store(store)
    except StoreInUse as e:
        server = running.server_of(e.path)
        if server is None:
            raise fail(e) from None
        errors.print(f"graphrec serve holds the store: asking it at {server.url}")
        try:
            return answer(running.ask(server.url, mutation, variables, server.token))
        except GraphRecError as failed:
            raise fail(failed) from None
    except GraphRecError as e:
        raise fail(e) from None
    try:
        return local(graph)
    except GraphRecError as e:
        raise fail(e) from None
    finally:
        graph.close()


@contextmanager
def steps() -> Iterator[Callable[[str, Callable[[], T]], T]]:
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


def snapshot_of(store: str | None, path: Path | None) -> Snapshot:
    from graphrec.graph.snapshot import Snapshot, export_snapshot

    if path is not None:
        try:
            return Snapshot.load(path)
        except GraphRecError as e:
            raise fail(e) from None
    with opened(store, read_only=True) as graph:
        return export_snapshot(graph)
