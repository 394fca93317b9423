"""``graphrec recommend``: recommendations for many shoppers at once, written to Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from graphrec.cli.common import StoreOption, app, console, errors, fail, opened
from graphrec.config import get_settings
from graphrec.errors import GraphRecError, InvalidInput
from graphrec.serving.configured import engine_config, version_to_serve
from graphrec.serving.results import Recommendations


@app.command()
def recommend(
    out: Annotated[Path, typer.Option(help="The Parquet file to write.")],
    all_users: Annotated[
        bool, typer.Option("--all-users", help="Every shopper the store has.")
    ] = False,
    user: Annotated[
        list[str] | None, typer.Option(help="A shopper to answer (repeat for more).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="Items per shopper.")] = 20,
    explore: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Exploration share (0: none).")
    ] = 0.0,
    artifact: Annotated[
        Path | None, typer.Option(help="Model version (default: the one served).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Recommendations for every shopper (or those named) through the serving pipeline: the
    same model, filters, rules, control group and reasons as the API, one row per item (user_id,
    rank, item_id, score, strategy, reason, model_version, recommendation_id)."""
    from graphrec.serving.service import Service

    if all_users == bool(user):
        raise fail(InvalidInput("give --all-users or one or more --user, not both"))
    with opened(store, read_only=True) as graph:
        try:
            path = version_to_serve(graph, str(artifact) if artifact else None)
            config = engine_config(get_settings())
            service = Service.open(graph, path, config=config)
        except GraphRecError as e:
            raise fail(e) from None
        try:
            live = service.engine.live
            users = [u for u in live.user_ids if u is not None] if all_users else list(user or [])
            columns = Rows()
            bar = [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            columns_shown = (*Progress.get_default_columns()[:1], *bar)
            with Progress(
                *columns_shown, console=errors, disable=not errors.is_terminal
            ) as progress:
                task = progress.add_task("recommending", total=len(users))
                for user_id in users:
                    columns.add(service.engine.recommend(user_id, k, explore=explore))
                    progress.advance(task)
        finally:
            service.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(columns.table(), out)
    console.print(f"wrote {columns.count} recommendations for {len(users)} shoppers to {out}")


class Rows:
    """The answers' items as columns."""

    def __init__(self) -> None:
        self.columns: dict[str, list[object]] = {name: [] for name in SCHEMA.names}

    @property
    def count(self) -> int:
        return len(self.columns["user_id"])

    def add(self, answer: Recommendations) -> None:
        for item in answer.items:
            row = {
                "user_id": answer.user_id,
                "rank": item.rank,
                "item_id": item.item.id,
                "score": item.score,
                "strategy": answer.strategy.value,
                "reason": item.reasons[0].text if item.reasons else None,
                "model_version": answer.model_version,
                "recommendation_id": answer.recommendation_id,
            }
            for name, value in row.items():
                self.columns[name].append(value)

    def table(self) -> pa.Table:
        return pa.table(self.columns, schema=SCHEMA)


SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("rank", pa.int32()),
        ("item_id", pa.string()),
        ("score", pa.float64()),
        ("strategy", pa.string()),
        ("reason", pa.string()),
        ("model_version", pa.string()),
        ("recommendation_id", pa.string()),
    ]
)
