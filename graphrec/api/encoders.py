"""Encoders: one Python function per selection of a persisted operation, writing the JSON
value of a serving answer (:mod:`graphrec.serving.results`, plain dataclasses) straight from
its attributes, as Strawberry's executor would present it through :mod:`graphrec.api.types`.

The functions are generated from the operation's selections at start: nested objects, lists
and leaves are inlined as expressions (comprehensions, conversions, walrus-bound names, memo
lookups), so encoding an answer costs a call per reason and per shared object encoded for the
first time, and none per other object, list or leaf.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable
from functools import cache
from typing import Any, cast

import orjson
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    SelectionSetNode,
)

from graphrec.api.types import PRESENTS
from graphrec.serving.results import SHARED_MARK

Encoder = Callable[[Any], Any]
#: Types whose objects the engine shares between answers and replaces rather than changes:
#: each is encoded once per operation.
SHARED_TYPES = frozenset({"Item", "PathNode", "Brand", "Category", "PathRelationship"})
#: Types whose objects are shared only sometimes: those marked shared (``results.share``, as
#: the popularity reasons are) are encoded once per operation, the others each time.
MARKED_TYPES = frozenset({"Reason"})
#: Memo keys: each operation keeps a JSON fragment under its own key on every shared object it
#: encodes (the operations are a fixed set, so the keys are too).
_memo_ids = itertools.count()


class Unsupported(Exception):
    """The operation needs the general executor."""


@cache
def attribute_of(type_name: str, field_name: str) -> str:
    """The attribute of the serving dataclass that the GraphQL field presents."""
    presented = PRESENTS.get(type_name)
    if presented is None:
        raise Unsupported(f"type {type_name} is not a serving answer")
    python_name = re.sub(r"(?<!^)([A-Z])", r"_\1", field_name).lower()
    if python_name not in {f.name for f in dataclasses.fields(presented)}:
        raise Unsupported(f"{type_name}.{field_name} has no attribute {python_name}")
    return python_name


class Encoders:
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

    def serializer(self, kind: Any, selection: SelectionSetNode | None) -> Encoder:
        body = self.expr(kind, selection, "v", simple=True)
        name = self.fresh("root")
        self.function(name, f"def {name}(v):\n    return {body}\n")
        return cast(Encoder, self.scope[name])

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
        memo_id = next(_memo_ids)
        if marked:  # kept only for the objects marked shared
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
        if shared:  # immutable, shared objects: serialise each once per plan
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
            python_name = attribute_of(kind.name, node.name.value)
            attribute = f"{value}.{python_name}"
            written = self.expr(field.type, node.selection_set, attribute, False)
            if kind.name == "Recommendations" and python_name == "items":
                # the engine wrote them with this plan's ReasonWriter, or made objects
                written = f"({value}.items_json or {written})"
            fields.append((key, python_name))
            if python_name == "item" and node.selection_set is not None:
                item = (field.type, node.selection_set)
            entries.append(f"{key!r}: {written}")
        if kind.name == "Recommendation":
            self.entries.append((fields, item))
        return "{" + ", ".join(entries) + "}"


#: GraphQL scalars and the Python conversion their serialisation amounts to.
_CONVERT = {"Float": "float", "Int": "int", "Boolean": "bool"}
