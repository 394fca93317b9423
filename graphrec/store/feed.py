"""The change feed: every write to the store also records one numbered :class:`Change`, in the
same transaction, so that every serving process (several workers, several replicas) can apply
what any of them wrote, in the order the store committed it.

A small write (a recorded event, an upserted item) carries its rows, which a serving process
applies to its memory; a large one (a load, a derive, a training's write-back, a clear) says
only ``reload``: processes rebuild their memory from the store. The feed keeps the newest
:data:`KEEP` entries; a process further behind than that rebuilds too.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pyarrow as pa

from graphrec.store.base import Change, GraphBatch, empty_table

#: Rows a write may have and still travel in the feed (more: ``reload``).
FEED_ROWS = 2_000
#: Entries kept; every :data:`PRUNE_EVERY` th write forgets older ones.
KEEP = 20_000
PRUNE_EVERY = 1_000

#: The kinds of change, and what a serving process does with each.
WRITE = "write"  # body: the batch's non-empty tables, as columns
FORGET = "forget"  # body: {"user_id"}
RULES = "rules"  # body: {} (read the rules again)
SETTING = "setting"  # body: {"key", "value"}
RELOAD = "reload"  # body: {"reason"} (rebuild memory from the store)
KINDS = (WRITE, FORGET, RULES, SETTING, RELOAD)


def entry(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The parameters of ``append_change`` for one change."""
    if kind not in KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    return {"at": int(time.time()), "kind": kind, "body": orjson.dumps(body).decode()}


def of_batch(batch: GraphBatch) -> tuple[str, dict[str, Any]]:
    """The change a batch makes: its rows when small, else ``reload``."""
    rows = sum(batch.sizes().values())
    if rows > FEED_ROWS:
        return RELOAD, {"reason": f"a write of {rows:,} rows"}
    return WRITE, {name: table.to_pydict() for name, table in batch.tables() if table.num_rows}


def batch_of(body: dict[str, Any]) -> GraphBatch:
    """The batch a ``write`` change carries."""
    tables = {
        name: pa.table(columns, schema=empty_table(name).schema) for name, columns in body.items()
    }
    return GraphBatch(**tables)


def needle(user_id: str) -> str:
    """How a shopper's id appears in a write's body (a JSON string)."""
    return orjson.dumps(user_id).decode()


def without_user(body: str, user_id: str) -> str:
    """A write's body (JSON) with the shopper's rows taken out: their user row and their
    interactions (a privacy delete leaves no event of theirs in the feed)."""
    tables = orjson.loads(body)
    for name, key in (("users", "id"), ("interactions", "user_id")):
        columns = tables.get(name)
        if not columns:
            continue
        keep = [i for i, value in enumerate(columns[key]) if value != user_id]
        tables[name] = {column: [values[i] for i in keep] for column, values in columns.items()}
        if not keep:
            del tables[name]
    return orjson.dumps(tables).decode()


def change_of(row: dict[str, Any]) -> Change:
    """A feed entry as a backend reads it (``seq``, ``at``, ``kind``, ``body`` as JSON)."""
    return Change(int(row["seq"]), int(row["at"]), row["kind"], orjson.loads(row["body"]))
