"""Events as the store takes them: what ``recordInteraction(s)`` sends, checked and made into
the rows of one batch."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from graphrec.errors import InvalidInput, NotFound
from graphrec.store.base import INTERACTION_KEY, GraphBatch, empty_table

INTERACTIONS = empty_table("interactions").schema
#: The most events one call may record.
MAX_BATCH = 1000


@dataclass(frozen=True)
class EventInput:
    user_id: str
    item_id: str
    kind: str
    ts: int | None = None
    weight: float | None = None
    rating: float | None = None
    recommendation_id: str | None = None


@dataclass(frozen=True)
class EventRows:
    """One call's events, checked: the interaction rows and the shoppers the store lacked."""

    events: list[EventInput]
    #: the interactions table's columns (an Arrow table is made once per group)
    interactions: dict[str, list[Any]]
    new_users: list[str]

    @property
    def times(self) -> list[int]:
        return self.interactions["ts"]


def event_rows(
    events: Sequence[EventInput],
    item_index: Mapping[str, int],
    user_index: Mapping[str, int],
    kind_weights: Mapping[str, float],
) -> EventRows:
    """Check every event (the first bad one is named by its number) and make their rows.
    An event without ``ts`` happened now; without ``weight`` it weighs what its kind does."""
    if not events:
        raise InvalidInput("no events given")
    if len(events) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per call, got {len(events)}")
    now = int(time.time())
    rows: dict[str, list[Any]] = {name: [] for name in INTERACTIONS.names}
    for number, event in enumerate(events, start=1):
        where = f"event {number}" if len(events) > 1 else "event"
        if not event.user_id or len(event.user_id) > 256:
            raise InvalidInput(f"{where}: userId must be 1..256 characters")
        if event.item_id not in item_index:
            raise NotFound(f"{where}: no item with id {event.item_id!r}")
        if not event.kind.isidentifier() or event.kind != event.kind.lower():
            raise InvalidInput(f"{where}: kind must be a lower-case word, got {event.kind!r}")
        if event.ts is not None and not 0 <= event.ts <= now + 86_400:
            raise InvalidInput(f"{where}: ts must be Unix seconds, not in the future")
        if event.weight is not None and not event.weight >= 0:
            raise InvalidInput(f"{where}: weight must be >= 0")
        if event.rating is not None and not 0 <= event.rating <= 10:
            raise InvalidInput(f"{where}: rating must be in 0..10")
        rows["user_id"].append(event.user_id)
        rows["item_id"].append(event.item_id)
        rows["kind"].append(event.kind)
        default = 0.0 if event.kind == "not_interested" else kind_weights.get(event.kind, 1.0)
        rows["weight"].append(default if event.weight is None else event.weight)
        rows["rating"].append(event.rating)
        rows["ts"].append(now if event.ts is None else event.ts)
        rows["split"].append(None)
    new_users = sorted({e.user_id for e in events if e.user_id not in user_index})
    return EventRows(list(events), rows, new_users)


def group_batch(groups: Sequence[EventRows]) -> GraphBatch:
    """Several calls' events as one batch (one transaction). An event is one row per user,
    item, kind and time however often it was sent: the first one's weight and rating."""
    users = sorted({u for g in groups for u in g.new_users})
    columns = {c: [v for g in groups for v in g.interactions[c]] for c in INTERACTIONS.names}
    keys = zip(*(columns[c] for c in INTERACTION_KEY), strict=True)
    first: dict[tuple[Any, ...], int] = {}
    for row, key in enumerate(keys):
        first.setdefault(key, row)
    interactions = pa.table(columns, schema=INTERACTIONS)
    if len(first) < interactions.num_rows:
        interactions = interactions.take(pa.array(sorted(first.values()), pa.int64()))
    return GraphBatch(
        users=pa.table({"id": pa.array(users, pa.string())}), interactions=interactions
    )
