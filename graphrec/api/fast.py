"""Compiled query plans: the answer Strawberry would give, without graphql-core's per-field cost.

A shop sends the same few query documents with different variables. The first time a document
arrives it is parsed and validated against the schema (and its depth, alias and token limits),
and, when it is a plain query over the fields below, compiled into a plan: the root resolvers
to call with coerced arguments, then a serializer per selection set that reads attributes
straight off the result objects. Anything else (mutations, fragments, directives, introspection,
an argument error) is left to Strawberry, as is any request whose resolver raises: errors are
always Strawberry's.

``tests/api/test_fast.py`` checks the plans against Strawberry on every query it runs.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import numpy as np
import orjson
import strawberry
from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    VariableNode,
    is_input_object_type,
    is_non_null_type,
    parse,
    validate,
    value_from_ast,
)
from graphql.error import GraphQLError
from graphql.execution.values import get_argument_values, get_variable_values

from graphrec.api import schema as api
from graphrec.serving.engine import RecFilter
from graphrec.serving.engine import new_id as engine_new_id
from graphrec.serving.render import ENTRY_FIELDS, ReasonWriter
from graphrec.serving.results import SHARED_MARK
from graphrec.serving.service import Service

Serializer = Callable[[Any], Any]
#: A root resolver: the service, the arguments and the plan's reason writer (or None).
Root = Callable[[Service, dict[str, Any], ReasonWriter | None], Any]
#: A root field of a plan: its key in the answer, resolver, node, definition and serializer.
RootField = tuple[str, Root, FieldNode, Any, Serializer]

CACHE_SIZE = 256
#: Types whose objects the engine shares between answers and replaces rather than changes:
#: each is serialised once per plan.
SHARED_TYPES = frozenset({"Item", "PathNode", "Brand", "Category", "PathRelationship"})
#: Types whose objects are shared only sometimes: those marked shared (``results.share``, as
#: the popularity reasons are) are serialised once per plan, the others each time.
MARKED_TYPES = frozenset({"Reason"})
_memo_ids = itertools.count()
#: Memo keys ever handed out. Each keeps a JSON fragment on every shared object its plan
#: serialises, for as long as the object lives; a shop sends a few documents, but a client
#: sending endless new ones would otherwise grow memory without bound. Later plans serialise
#: shared objects like the others.
MAX_MEMOS = 512


def _filter(raw: dict[str, Any] | None) -> RecFilter | None:
    if raw is None:
        return None
    return RecFilter(
        categories=raw.get("categories"),
        brands=raw.get("brands"),
        in_stock_only=raw.get("inStockOnly", True),
        exclude_items=raw.get("excludeItems"),
    )


#: Root query fields a plan can call: the same functions the Strawberry resolvers call.
ROOTS: dict[str, Root] = {
    "recommendations": lambda s, a, w: api.recommend(
        s, a["userId"], a["k"], _filter(a.get("filter")), a.get("diversity"), a.get("explore"), w
    ),
    "similarItems": lambda s, a, w: s.engine.similar_items(a["itemId"], a["k"]),
    "boughtTogether": lambda s, a, w: s.engine.bought_together([a["itemId"]], a["k"]),
    "complementsForCart": lambda s, a, w: s.engine.bought_together(a["itemIds"], a["k"]),
    "trending": lambda s, a, w: s.engine.trending(a.get("categoryId"), a["k"]),
    "explain": lambda s, a, w: s.engine.explain(a["userId"], a["itemId"]),
}


class Unsupported(Exception):
    """The document needs the general executor."""


class _Generator:
    """Writes one Python function per selection: nested objects, lists, leaves and shared
    objects are inlined as expressions (comprehensions, conversions, walrus-bound names, memo
    lookups), so serialising an answer costs a call per object of a marked type (a reason) and
    per shared object serialised for the first time, and none per other object, list or leaf."""

    def __init__(self) -> None:
        # a shared object is kept as its JSON text: orjson copies it instead of walking it
        self.scope: dict[str, Any] = {"Fragment": orjson.Fragment, "dumps": orjson.dumps}
        self.count = 0
        #: each selection of a reason (a :class:`ReasonWriter` serialises its templates so)
        self.reasons: list[tuple[GraphQLObjectType, SelectionSetNode]] = []
        #: each selection of a recommendation: its keys and the fields they name, and the
        #: type and selection of its item (a :class:`ReasonWriter` writes them so)
        self.entries: list[tuple[list[tuple[str, str]], tuple[Any, SelectionSetNode] | None]] = []

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def function(self, name: str, source: str) -> str:
        exec(compile(source, f"<plan {name}>", "exec"), self.scope)  # noqa: S102 - names come from the schema
        return name

    def serializer(self, kind: Any, selection: SelectionSetNode | None) -> Serializer:
        body = self.expr(kind, selection, "v", simple=True)
        name = self.fresh("root")
        self.function(name, f"def {name}(v):\n    return {body}\n")
        return cast(Serializer, self.scope[name])

    def expr(self, kind: Any, selection: SelectionSetNode | None, value: str, simple: bool) -> str:
        """An expression serialising ``value`` (``simple``: a plain name, cheap to repeat)."""
        if isinstance(kind, GraphQLNonNull):
            return self.inner(kind.of_type, selection, value, simple)
        if not simple:  # bind it once (never in a comprehension's iterable: only here)
            bound = self.fresh("t")
            value = f"({bound} := {value})"
            return f"(None if {value} is None else {self.inner(kind, selection, bound, True)})"
        return f"(None if {value} is None else {self.inner(kind, selection, value, True)})"

    def inner(self, kind: Any, selection: SelectionSetNode | None, value: str, simple: bool) -> str:
        if isinstance(kind, GraphQLList):
            element = self.fresh("e")
            return f"[{self.expr(kind.of_type, selection, element, True)} for {element} in {value}]"
        if isinstance(kind, GraphQLObjectType):
            if selection is None:
                raise Unsupported("object without selection")
            return self.object(kind, selection, value, simple)
        if isinstance(kind, GraphQLEnumType):
            # a Python Enum member, named as in the schema (a dict keyed by members paid for
            # Enum.__hash__, a Python function; anything else raises: Strawberry answers)
            return f"{value}._name_"
        if isinstance(kind, GraphQLScalarType):
            return f"{_CONVERT.get(kind.name, 'str')}({value})"
        raise Unsupported(f"type {kind}")

    def object(
        self, kind: GraphQLObjectType, selection: SelectionSetNode, value: str, simple: bool
    ) -> str:
        shared, marked = kind.name in SHARED_TYPES, kind.name in MARKED_TYPES
        if kind.name == "Reason":
            self.reasons.append((kind, selection))
        memo_id = next(_memo_ids) if shared or marked else MAX_MEMOS
        if memo_id < MAX_MEMOS and marked:  # kept only for the objects marked shared
            memo, fill = f"_plan{memo_id}", self.fresh("fill")
            display = self.display(kind, selection, "o")
            self.function(
                fill,
                f"def {fill}(o):\n    out = {display}\n"
                f"    if {SHARED_MARK!r} in o.__dict__:\n"
                f"        o.__dict__[{memo!r}] = out = Fragment(dumps(out))\n"
                "    return out\n",
            )
            return f"({value}.__dict__.get({memo!r}) or {fill}({value}))"
        if memo_id < MAX_MEMOS:  # immutable, shared objects: serialise each once per plan
            # memo keys are unique across plans: two selections of one object must not meet
            memo, fill = f"_plan{memo_id}", self.fresh("fill")
            display = self.display(kind, selection, "o")
            self.function(
                fill,
                f"def {fill}(o):\n    o.__dict__[{memo!r}] = out = Fragment(dumps({display}))\n"
                "    return out\n",
            )
            if simple:
                return f"({value}.__dict__.get({memo!r}) or {fill}({value}))"
            lookup = self.fresh("shared")
            self.function(
                lookup, f"def {lookup}(o):\n    return o.__dict__.get({memo!r}) or {fill}(o)\n"
            )
            return f"{lookup}({value})"
        if simple:
            return self.display(kind, selection, value)
        # bound once, inline: a function per object was a call per reason's path
        bound = self.fresh("t")
        return f"(({bound} := {value}), {self.display(kind, selection, bound)})[1]"

    def display(self, kind: GraphQLObjectType, selection: SelectionSetNode, value: str) -> str:
        """A dict display of the selected fields of the object named ``value``."""
        entries = []
        fields: list[tuple[str, str]] = []
        item: tuple[Any, SelectionSetNode] | None = None
        for node in selection.selections:
            if not isinstance(node, FieldNode) or node.directives:
                raise Unsupported("fragments or directives")
            key = node.alias.value if node.alias else node.name.value
            if node.name.value == "__typename":
                entries.append(f"{key!r}: {kind.name!r}")
                fields.append((key, "__typename"))
                continue
            field = kind.fields.get(node.name.value)
            if field is None or node.arguments:
                raise Unsupported("field arguments below the root")
            definition = field.extensions.get("strawberry-definition")
            if definition is None or getattr(definition, "base_resolver", None) is not None:
                raise Unsupported("a field with its own resolver")
            attribute = f"{value}.{definition.python_name}"
            written = self.expr(field.type, node.selection_set, attribute, False)
            if kind.name == "Recommendations" and definition.python_name == "items":
                # the engine wrote them with this plan's ReasonWriter, or made objects
                written = f"({value}.items_json or {written})"
            fields.append((key, definition.python_name))
            if definition.python_name == "item" and node.selection_set is not None:
                item = (field.type, node.selection_set)
            entries.append(f"{key!r}: {written}")
        if kind.name == "Recommendation":
            self.entries.append((fields, item))
        return "{" + ", ".join(entries) + "}"


#: GraphQL scalars and the Python conversion their serialisation amounts to.
_CONVERT = {"Float": "float", "Int": "int", "Boolean": "bool"}


def _string(value: Any) -> Any:
    return value if type(value) is str else None


def _id(value: Any) -> Any:
    return value if type(value) is str else str(value) if type(value) is int else None


def _int(value: Any) -> Any:
    return value if type(value) is int and -(2**31) <= value < 2**31 else None


def _float(value: Any) -> Any:
    if type(value) is float:
        return value if math.isfinite(value) else None
    return float(value) if type(value) is int else None


def _boolean(value: Any) -> Any:
    return value if type(value) is bool else None


#: The built-in scalars, each with the check and conversion graphql-core's input coercion makes
#: of a plainly valid JSON value (None: not plainly valid, so graphql-core decides and reports).
_SCALARS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "String": (GraphQLString, _string),
    "ID": (GraphQLID, _id),
    "Int": (GraphQLInt, _int),
    "Float": (GraphQLFloat, _float),
    "Boolean": (GraphQLBoolean, _boolean),
}


class _Arguments:
    """The root fields' arguments straight from the request's variables, for a document whose
    variables are all built-in scalars (a shop's ``$user: ID!, $k: Int``): graphql-core's
    coercion of them was 4 % of a request. Returns None for any value that is not plainly valid,
    so that graphql-core coerces the request and reports the error."""

    def __init__(
        self,
        schema: Any,
        operation: OperationDefinitionNode,
        roots: list[RootField],
    ) -> None:
        self.variables: list[tuple[str, Callable[[Any], Any], bool, Any]] = []
        for definition in operation.variable_definitions or ():
            named: Any = definition.type
            nonnull = isinstance(named, NonNullTypeNode)
            if nonnull:
                named = named.type
            scalar = _SCALARS.get(named.name.value) if isinstance(named, NamedTypeNode) else None
            if scalar is None or schema.get_type(named.name.value) is not scalar[0]:
                raise Unsupported("a variable that is not a built-in scalar")
            default = Undefined
            if definition.default_value is not None:
                default = value_from_ast(definition.default_value, scalar[0])
            self.variables.append((definition.variable.name.value, scalar[1], nonnull, default))
        #: per root: (argument key, variable name or None, literal or default value, non-null)
        self.fields: list[list[tuple[str, str | None, Any, bool]]] = []
        for _, _, node, field, _ in roots:
            given = {argument.name.value: argument.value for argument in node.arguments or ()}
            steps: list[tuple[str, str | None, Any, bool]] = []
            for name, argument in field.args.items():
                key, value_node = argument.out_name or name, given.get(name)
                default, nonnull = argument.default_value, is_non_null_type(argument.type)
                if is_input_object_type(argument.type) and default not in (None, Undefined):
                    raise Unsupported("an input object's default takes graphql-core's coercion")
                if isinstance(value_node, VariableNode):
                    steps.append((key, value_node.name.value, default, nonnull))
                elif value_node is not None:
                    literal = value_from_ast(value_node, argument.type)
                    if literal is not None and not isinstance(literal, str | int | float | bool):
                        raise Unsupported("a literal list or input object")
                    steps.append((key, None, literal, nonnull))
                elif default is not Undefined:
                    steps.append((key, None, default, nonnull))
            self.fields.append(steps)

    def __call__(self, raw: dict[str, Any]) -> list[dict[str, Any]] | None:
        values: dict[str, Any] = {}
        for name, convert, nonnull, default in self.variables:
            if name in raw:
                value = raw[name]
                if value is not None:
                    value = convert(value)
                    if value is None:
                        return None
                elif nonnull:
                    return None
                values[name] = value
            elif default is not Undefined:
                values[name] = default
            elif nonnull:
                return None
        out = []
        for steps in self.fields:
            arguments = {}
            for key, variable, value, nonnull in steps:
                if variable is not None:
                    if variable in values:
                        value = values[variable]
                    elif value is Undefined:  # no value and no default: left out
                        if nonnull:
                            return None
                        continue
                    if value is None and nonnull:
                        return None
                arguments[key] = value
            out.append(arguments)
        return out


class Plan:
    def __init__(
        self,
        schema: Any,
        operation: OperationDefinitionNode,
        roots: list[RootField],
        writers: list[ReasonWriter | None],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.roots = roots
        self.writers = writers  # per root
        try:
            self.arguments: _Arguments | None = _Arguments(schema, operation, roots)
        except Unsupported:
            self.arguments = None

    def bind(self, raw: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Each root field's arguments; None when a variable or an argument is invalid."""
        if self.arguments is not None:
            fast = self.arguments(raw)
            if fast is not None:
                return fast
        coerced = get_variable_values(self.schema, self.operation.variable_definitions or (), raw)
        if isinstance(coerced, list):  # variable errors: Strawberry reports them
            return None
        try:
            return [
                get_argument_values(field, node, coerced) for _, _, node, field, _ in self.roots
            ]
        except GraphQLError:
            return None


class FastPath:
    def __init__(self, schema: strawberry.Schema, service: Service) -> None:
        self.schema = schema._schema
        self.service = service
        self.plans: OrderedDict[str, Plan | None] = OrderedDict()
        #: Serialised ``recommendations`` answers, oldest first (see :class:`AnswerRing`).
        self.answers = AnswerRing()
        self.hits = 0
        self.misses = 0

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        key = f"{operation_name}\x00{query}"
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        try:
            plan: Plan | None = self._compile(query, operation_name)
        except (Unsupported, GraphQLError):
            plan = None
        self.plans[key] = plan
        if len(self.plans) > CACHE_SIZE:
            self.plans.popitem(last=False)
        return plan

    def _compile(self, query: str, operation_name: str | None) -> Plan:
        document = parse(query, max_tokens=api.MAX_TOKENS)
        if validate(self.schema, document):
            raise Unsupported("invalid: Strawberry reports the errors")
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or len(document.definitions) != 1:
            raise Unsupported("one operation and nothing else")
        operation = operations[0]
        if operation.operation is not OperationType.QUERY:
            raise Unsupported("mutations take the general path")
        if operation_name is not None and (
            operation.name is None or operation.name.value != operation_name
        ):
            raise Unsupported("operation name mismatch")
        if (
            _depth(operation.selection_set) > api.MAX_DEPTH
            or _aliases(operation.selection_set) > api.MAX_ALIASES
        ):
            raise Unsupported("over a limit: Strawberry reports it")
        query_type = self.schema.query_type
        assert query_type is not None
        roots = []
        writers: list[ReasonWriter | None] = []
        for node in operation.selection_set.selections:
            if not isinstance(node, FieldNode) or node.directives:
                raise Unsupported("fragments or directives")
            name = node.name.value
            if name not in ROOTS:
                raise Unsupported(f"root field {name}")
            field = query_type.fields[name]
            generator = _Generator()
            serialize = generator.serializer(field.type, node.selection_set)
            key = node.alias.value if node.alias else name
            roots.append((key, ROOTS[name], node, field, serialize))
            writers.append(_writer(generator) if name == "recommendations" else None)
        return Plan(self.schema, operation, roots, writers)

    def try_execute(self, body: bytes) -> bytes | None:
        """The JSON answer, or None to let Strawberry answer (and report any error)."""
        try:
            request = orjson.loads(body)
            query = request["query"]
            variables = request.get("variables") or {}
            operation_name = request.get("operationName")
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(query, str) or not isinstance(variables, dict):
            return None
        plan = self.plan(query, operation_name)
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
            for (key, root, _, _, serialize), values, writer in zip(
                plan.roots, arguments, plan.writers, strict=True
            ):
                result = root(self.service, values, writer)
                data[key] = serialize(result)
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
        stored_at, old_id, user, group, items, _, _ = entry
        if time.monotonic() - stored_at > ttl:
            self.answers.drop(key)
            return key, None
        self.hits += 1
        new_id = engine_new_id()
        self.service.log_answer(new_id, user, group, items)
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
                tuple(answer.item_ids),
            ),
            config.answer_ttl_s,
            config.answer_cache_size,
            config.answer_cache_bytes,
        )

    def reserve(self) -> None:
        """Make the answer ring at its configured size now (a server calls this at start)."""
        config = self.service.engine.config
        if config.answer_ttl_s > 0:
            self.answers.reserve(config.answer_cache_bytes)

    @property
    def answer_bytes(self) -> int:
        return self.answers.bytes


#: What is kept of an answer besides its body: when, its recommendation id, shopper, group
#: and items. Only atomic values, in plain tuples: the garbage collector stops tracking such an
#: entry at its first pass (not a NamedTuple's); 100,000 tracked entries made each full
#: collection a long pause.
Kept = tuple[float, str, str, str, tuple[str, ...]]
#: ... and where its body starts in the ring, and its size.
Entry = tuple[float, str, str, str, tuple[str, ...], int, int]


class AnswerRing:
    """Answers kept for reuse: their bodies in one ring of bytes, the rest in an ordered dict,
    oldest first.

    A body is written after the newest, wrapping around the ring's end; the oldest answers
    give way when there is no room, are past their time, or are too many. The ring is made
    once, at its full size, and its pages touched by :meth:`reserve` (``graphrec serve`` does
    at start): bodies kept as bytes objects took fresh memory from the system as the cache
    filled, 11 page faults per answer at 5 us each in this VM, a tenth of an answer's time.
    """

    def __init__(self) -> None:
        self.ring = np.empty(0, dtype=np.uint8)
        #: oldest first; an OrderedDict, whose oldest entry is found at once (a dict's first
        #: live entry, after many removed from its front, is found by walking past them)
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.head = 0  # where the next body goes
        self.bytes = 0  # of the bodies kept

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.entries)

    def items(self) -> Iterable[tuple[tuple[Any, ...], Entry]]:
        return self.entries.items()

    def reserve(self, size: int, touch: bool = True) -> None:
        """Make the ring ``size`` bytes (dropping what it kept), its pages touched now or, with
        ``touch=False``, as bodies are first written there."""
        self.ring = np.empty(size, dtype=np.uint8)
        if touch:
            self.ring.fill(0)
        self.entries.clear()
        self.head = self.bytes = 0

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        return self.entries.get(key)

    def body(self, entry: Entry) -> bytes:
        start, end = entry[5], entry[5] + entry[6]
        if end <= len(self.ring):
            return self.ring[start:end].tobytes()
        return self.ring[start:].tobytes() + self.ring[: end - len(self.ring)].tobytes()

    def drop(self, key: tuple[Any, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[6]

    def _span(self, start: int) -> int:
        """Bytes from the oldest body's ``start`` to the head (holes left by drops included)."""
        return (self.head - start) % len(self.ring) or len(self.ring)

    def put(
        self,
        key: tuple[Any, ...],
        body: bytes,
        kept: Kept,
        ttl: float,
        max_count: int,
        max_bytes: int,
    ) -> None:
        if len(self.ring) != max_bytes:  # not reserved, or the limit changed
            self.reserve(max_bytes, touch=False)
        self.drop(key)
        size = len(body)
        if size > len(self.ring):
            return
        while self.entries:  # the oldest give way
            oldest, entry = next(iter(self.entries.items()))
            if (
                kept[0] - entry[0] <= ttl
                and len(self.entries) < max_count
                and self._span(entry[5]) + size <= len(self.ring)
            ):
                break
            self.drop(oldest)
        if not self.entries:
            self.head = 0
        start, ring = self.head, self.ring
        data = np.frombuffer(body, dtype=np.uint8)
        first = min(size, len(ring) - start)
        ring[start : start + first] = data[:first]
        ring[: size - first] = data[first:]
        self.head = (start + size) % len(ring)
        self.entries[key] = (*kept, start, size)
        self.bytes += size


def _writer(generator: _Generator) -> ReasonWriter | None:
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


def _depth(selection: SelectionSetNode | None) -> int:
    if selection is None:
        return 0
    return 1 + max(
        (_depth(getattr(node, "selection_set", None)) for node in selection.selections), default=0
    )


def _aliases(selection: SelectionSetNode | None) -> int:
    if selection is None:
        return 0
    return sum(
        (1 if getattr(node, "alias", None) else 0) + _aliases(getattr(node, "selection_set", None))
        for node in selection.selections
    )
