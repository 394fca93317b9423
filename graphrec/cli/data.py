"""Commands on the graph: load, stats, export, derive, explore, delete-user, reset."""

from __future__ import annotations

import json
import sys
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
    steps,
    write_or_ask_server,
)
from graphrec.errors import GraphRecError, InvalidInput
from graphrec.store import GraphStore


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
    from graphrec.graph.derive import derive_bought_with

    with opened(store) as graph, steps() as step:
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
    with opened(store, read_only=True) as graph:
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

    with opened(store, read_only=True) as graph, steps() as step:
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
    from graphrec.graph.derive import derive_bought_with

    def local(graph: GraphStore) -> int:
        with steps() as step:
            return step("derive BOUGHT_WITH", lambda: derive_bought_with(graph))

    n = write_or_ask_server(
        store,
        local,
        "mutation { deriveBoughtWith { edges } }",
        {},
        lambda data: int(data["deriveBoughtWith"]["edges"]),
    )
    console.print(f"BOUGHT_WITH edges: {n:,}")


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
        raise fail(InvalidInput(f"no saved query {name!r}; the queries are: {known}"))
    try:
        arguments = {"limit": 20, **parse_params(params or [])}
    except GraphRecError as e:
        raise fail(e) from None
    with opened(store, read_only=True) as graph:
        rows = graph.explore(name, **arguments)
    if not rows:
        console.print(f"{name}: no rows")
        return
    columns = [c for c in rows[0] if not isinstance(rows[0][c], dict)]
    table = Table(*columns, title=f"{name}: {len(rows)} row(s)")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


@app.command()
def reset(
    store: StoreOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm deleting everything.")] = False,
) -> None:
    """Delete every node and relationship of the store."""
    if not yes:
        raise fail(InvalidInput("reset deletes the whole graph: add --yes to confirm"))
    with opened(store) as graph:
        graph.clear()
    console.print(f"cleared {graph.url}")
