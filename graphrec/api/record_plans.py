"""Persisted mutations that record events, answered without graphql-core's execution.

The request's variables are coerced as graphql-core does (:class:`~graphrec.api.plans.Plan`),
the events are checked and queued for the next group commit (``Service.submit``), and the
answer waits for the commit in the event loop: no worker thread per call, so hundreds of calls
in flight share a few transactions. A bad event (nothing queued) is answered by Strawberry with
its typed error; a failed commit is answered here, as Strawberry would answer it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, GraphQLSchema, OperationDefinitionNode

from graphrec.api.encoders import Encoder, Encoders, Unsupported
from graphrec.api.errors import code_of
from graphrec.api.plans import Plan
from graphrec.errors import GraphRecError
from graphrec.serving.event_writes import EventInput
from graphrec.serving.results import EventsRecorded
from graphrec.serving.service import Service

log = logging.getLogger(__name__)


def _event(raw: dict[str, Any]) -> EventInput:
    return EventInput(
        user_id=str(raw["userId"]),
        item_id=str(raw["itemId"]),
        kind=raw["kind"],
        ts=raw.get("ts"),
        weight=raw.get("weight"),
        rating=raw.get("rating"),
        recommendation_id=raw.get("recommendationId"),
    )


#: Root mutation fields a record plan can answer: the events each records.
RECORDS: dict[str, Callable[[dict[str, Any]], list[EventInput]]] = {
    "recordInteraction": lambda a: [_event(a["input"])],
    "recordInteractions": lambda a: [_event(raw) for raw in a["inputs"]],
    "notInterested": lambda a: [EventInput(str(a["userId"]), str(a["itemId"]), "not_interested")],
}


class RecordPlan:
    """A persisted mutation of one root field of :data:`RECORDS`."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> None:
        mutation_type = schema.mutation_type
        nodes = operation.selection_set.selections
        if mutation_type is None or len(nodes) != 1 or not isinstance(nodes[0], FieldNode):
            raise Unsupported("one root field")
        node = nodes[0]
        if node.directives or node.name.value not in RECORDS:
            raise Unsupported(f"root field {node.name.value}")
        field = mutation_type.fields[node.name.value]
        self.key = node.alias.value if node.alias else node.name.value
        self.node = node
        self.events_of = RECORDS[node.name.value]
        self.encode: Encoder = Encoders().serializer(field.type, node.selection_set)
        events_of = self.events_of
        root = (self.key, lambda s, a, w: events_of(a), node, field, self.encode)
        self.plan = Plan(schema, operation, [root], [None])

    def start(self, service: Service, variables: dict[str, Any]) -> Recording | None:
        """The events queued, or None for Strawberry to answer (invalid variables or events:
        its error names them; nothing was queued)."""
        arguments = self.plan.bind(variables)
        if arguments is None:
            return None
        try:
            events = self.events_of(arguments[0])
            return Recording(self, events, service.submit(events))
        except GraphRecError:
            return None


class Recording:
    """Queued events and their commit."""

    def __init__(self, plan: RecordPlan, events: list[EventInput], commit: Future[Any]) -> None:
        self.plan, self.events, self.commit = plan, events, commit

    async def answer(self) -> bytes:
        """The JSON answer, once the store has committed the events (or failed to)."""
        try:
            await asyncio.wrap_future(self.commit)
        except GraphRecError as e:  # the store's: unreachable, or it refused the write
            log.warning("recording events failed: %s", e)
            return self._error(str(e), {"code": code_of(e)})
        except Exception:
            log.exception("recording events failed")
            return self._error("Unexpected error.", None)
        users = sorted({e.user_id for e in self.events})
        data = {self.plan.key: self.plan.encode(EventsRecorded(len(self.events), users))}
        return orjson.dumps({"data": data})

    def _error(self, message: str, extensions: dict[str, Any] | None) -> bytes:
        error = GraphQLError(message, nodes=[self.plan.node], path=[self.plan.key])
        formatted = error.formatted
        if extensions:
            formatted["extensions"] = extensions
        return orjson.dumps({"data": None, "errors": [formatted]})
