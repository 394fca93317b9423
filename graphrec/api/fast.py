"""Persisted operations answered without graphql-core's per-field cost.

At start, each persisted operation (:mod:`graphrec.api.operations`) is validated against the
schema and, when it is a query over the root fields below, compiled into a plan: the root
functions to call with the request's arguments, then an encoder per root
(:mod:`graphrec.api.encoders`). A request that names a persisted operation (by its text or its
hash) is answered by its plan; anything else, and any request whose variables are invalid or
whose resolver raises, is answered by Strawberry: errors are always Strawberry's.

``tests/api/test_api.py`` checks the plans against Strawberry on every operation it runs.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import orjson
import strawberry
from graphql import (
    FieldNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    parse,
    specified_rules,
    validate,
)

from graphrec.api import schema as api
from graphrec.api.answer_cache import AnswerRing
from graphrec.api.encoders import Encoders, Unsupported
from graphrec.api.limits import MAX_TOKENS, DocumentLimits
from graphrec.api.operations import NOT_FOUND_CODE, Operation, Operations
from graphrec.api.plans import Plan, Root
from graphrec.api.record_plans import Recording, RecordPlan
from graphrec.errors import InvalidInput
from graphrec.serving import related
from graphrec.serving.attribution import impression
from graphrec.serving.engine import new_id as engine_new_id
from graphrec.serving.options import RecFilter
from graphrec.serving.render import ENTRY_FIELDS, ReasonWriter
from graphrec.serving.service import Service

NOT_FOUND_ANSWER = orjson.dumps(
    {"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": NOT_FOUND_CODE}}]}
)


def _filter(raw: dict[str, Any] | None) -> RecFilter | None:
    if raw is None:
        return None
    return RecFilter(
        categories=raw.get("categories"),
        brands=raw.get("brands"),
        in_stock_only=raw.get("inStockOnly", True),
        exclude_items=raw.get("excludeItems"),
        min_price=raw.get("minPrice"),
        max_price=raw.get("maxPrice"),
    )


#: Root query fields a plan can call: the same functions the Strawberry resolvers call.
ROOTS: dict[str, Root] = {
    "recommendations": lambda s, a, w: api.recommend(
        s, a["userId"], a["k"], _filter(a.get("filter")), a.get("diversity"), a.get("explore"), w
    ),
    "similarItems": lambda s, a, w: related.similar_items(
        s.engine, a["itemId"], a["k"], _filter(a.get("filter"))
    ),
    "boughtTogether": lambda s, a, w: related.bought_together(
        s.engine, [a["itemId"]], a["k"], _filter(a.get("filter"))
    ),
    "complementsForCart": lambda s, a, w: related.bought_together(
        s.engine, a["itemIds"], a["k"], _filter(a.get("filter"))
    ),
    "trending": lambda s, a, w: related.trending(
        s.engine, a.get("categoryId"), a["k"], _filter(a.get("filter"))
    ),
    "explain": lambda s, a, w: s.engine.explain(a["userId"], a["itemId"], a.get("every", False)),
    "item": lambda s, a, w: _item(s, a["id"]),
}


def _item(service: Service, item_id: str) -> Any:
    index = service.engine.live.item_index.get(item_id)
    return None if index is None else service.engine.item(index)


class FastPath:
    """The plans of a set of persisted operations (the shipped ones by default)."""

    def __init__(
        self, schema: strawberry.Schema, service: Service, operations: Operations | None = None
    ) -> None:
        # the schema as graphql-core builds it from the published SDL: the same validation
        self.schema = build_schema(schema.as_str())
        self.service = service
        self.operations = Operations.load() if operations is None else operations
        self.plans: dict[str, Plan] = {}
        self.records: dict[str, RecordPlan] = {}
        for op in self.operations:
            plan = self._compile(op)
            if plan is not None:
                self.plans[op.text] = plan
        #: Encoded ``recommendations`` answers, oldest first (see :class:`AnswerRing`).
        self.answers = AnswerRing()
        self.hits = 0
        self.misses = 0

    def plan(self, query: str) -> Plan | None:
        """The plan of the persisted operation with this text, if it has one."""
        return self.plans.get(query)

    def _compile(self, op: Operation) -> Plan | None:
        document = parse(op.text, max_tokens=MAX_TOKENS)
        errors = validate(self.schema, document, [*specified_rules, DocumentLimits])
        if errors:
            raise InvalidInput(f"{op.source}: {errors[0].message}")
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        if operation.operation is OperationType.MUTATION:
            with contextlib.suppress(Unsupported):  # else persisted, answered by Strawberry
                self.records[op.text] = RecordPlan(self.schema, operation)
            return None
        if operation.operation is not OperationType.QUERY:
            return None
        query_type = self.schema.query_type
        assert query_type is not None
        roots = []
        writers: list[ReasonWriter | None] = []
        try:
            for node in operation.selection_set.selections:
                if not isinstance(node, FieldNode) or node.directives:
                    raise Unsupported("fragments or directives")
                name = node.name.value
                if name not in ROOTS:
                    raise Unsupported(f"root field {name}")
                field = query_type.fields[name]
                encoders = Encoders()
                encode = encoders.serializer(field.type, node.selection_set)
                key = node.alias.value if node.alias else name
                roots.append((key, ROOTS[name], node, field, encode))
                writers.append(_writer(encoders) if name == "recommendations" else None)
        except Unsupported:
            return None  # persisted, answered by Strawberry
        return Plan(self.schema, operation, roots, writers)

    def expand(self, body: bytes) -> bytes | None:
        """A request that sends a persisted operation by its hash alone, with the operation's
        text put in (for Strawberry); None when the body is anything else."""
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(request, dict) or "query" in request:
            return None
        op = self.operations.by_hash.get(_hash_of(request) or "")
        return None if op is None else orjson.dumps({**request, "query": op.text})

    def _request(self, body: bytes) -> tuple[str, dict[str, Any]] | bytes | None:
        """A request's persisted operation text and variables; the answer for an unknown
        hash; None for anything else."""
        try:
            request = orjson.loads(body)
            query = request.get("query")
            if query is None:  # sent by its hash
                digest = _hash_of(request)
                if digest is None:
                    return None
                op = self.operations.by_hash.get(digest)
                if op is None:
                    return NOT_FOUND_ANSWER
                query = op.text
            variables = request.get("variables") or {}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(query, str) or not isinstance(variables, dict):
            return None
        return query, variables

    def try_record(self, body: bytes) -> Recording | None:
        """Events queued by a persisted recording mutation (:mod:`.record_plans`), or None."""
        request = self._request(body)
        if not isinstance(request, tuple):
            return None
        plan = self.records.get(request[0])
        return None if plan is None else plan.start(self.service, request[1])

    def try_execute(self, body: bytes) -> bytes | None:
        """The JSON answer, or None to let Strawberry answer (and report any error)."""
        request = self._request(body)
        if not isinstance(request, tuple):
            return request
        query, variables = request
        plan = self.plans.get(query)
        if plan is None:
            return None
        arguments = plan.bind(variables)
        if arguments is None:
            return None
        reuse = self._reusable(plan, arguments, variables)
        if reuse is not None and reuse[1] is not None:
            return reuse[1]
        data: dict[str, Any] = {}
        try:
            for (key, root, _, _, encode), values, writer in zip(
                plan.roots, arguments, plan.writers, strict=True
            ):
                result = root(self.service, values, writer)
                data[key] = encode(result)
        except Exception:  # noqa: BLE001 - the general path gives the typed error
            return None
        body = orjson.dumps({"data": data})
        if reuse is not None:
            self.misses += 1
            self._remember(reuse[0], body, result)
        return body

    # -- reusing answers -------------------------------------------------------------------
    def _reusable(
        self, plan: Plan, arguments: list[dict[str, Any]], variables: dict[str, Any]
    ) -> tuple[tuple[Any, ...], bytes | None] | None:
        """For a plan that is one ``recommendations`` field: its cache key, and the stored body
        (with a fresh recommendation id, logged as served) when it is still valid."""
        ttl = self.service.engine.config.answer_ttl_s
        if ttl <= 0 or len(plan.roots) != 1 or plan.roots[0][1] is not ROOTS["recommendations"]:
            return None
        user_id = str(arguments[0]["userId"])
        key = (
            id(plan),
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            self.service.engine.answer_stamp(user_id),
            self.service.generation,
            self.service.store_ok,
        )
        entry = self.answers.get(key)
        if entry is None:
            return key, None
        stored_at, old_id, user, group, shown, _, _ = entry
        if time.monotonic() - stored_at > ttl:
            self.answers.drop(key)
            return key, None
        self.hits += 1
        new_id = engine_new_id()
        self.service.log.answer(new_id, user, group, shown)
        return key, self.answers.body(entry).replace(old_id.encode(), new_id.encode())

    def _remember(self, key: tuple[Any, ...], body: bytes, answer: Any) -> None:
        if not answer.recommendation_id or answer.recommendation_id.encode() not in body:
            return  # the query does not ask for the id: nothing to renew, nothing to reuse
        config = self.service.engine.config
        self.answers.put(
            key,
            body,
            (
                time.monotonic(),
                answer.recommendation_id,
                answer.user_id,
                answer.strategy.value,
                impression(answer),
            ),
            config.answer_ttl_s,
            config.answer_cache_size,
            config.answer_cache_bytes,
        )

    def prepare(self, engine: Any) -> None:
        """Before a rebuilt engine replaces the old one: each plan's writer makes what it will
        read for it (in the rebuild's thread)."""
        for plan in self.plans.values():
            for writer in plan.writers:
                if writer is not None:
                    writer.prepare(engine)

    def reserve(self) -> None:
        """Make the answer ring at its configured size now (a server calls this at start)."""
        config = self.service.engine.config
        if config.answer_ttl_s > 0:
            self.answers.reserve(config.answer_cache_bytes)

    @property
    def answer_bytes(self) -> int:
        return self.answers.bytes


def _writer(generator: Encoders) -> ReasonWriter | None:
    """The writer of a ``recommendations`` plan whose items it can write: one selection of
    a recommendation, with one of reasons."""
    if len(generator.reasons) != 1 or len(generator.entries) != 1:
        return None
    fields, item = generator.entries[0]
    if any(f not in ENTRY_FIELDS and f != "__typename" for _, f in fields):
        return None
    return ReasonWriter(
        generator.serializer(*generator.reasons[0]),
        fields,
        None if item is None else generator.serializer(*item),
    )


def _hash_of(request: dict[str, Any]) -> str | None:
    """The persisted operation's hash a request names (Apollo's ``persistedQuery``), if any."""
    try:
        digest = request["extensions"]["persistedQuery"]["sha256Hash"]
    except (KeyError, TypeError):
        return None
    return digest if isinstance(digest, str) else None
