"""A persisted query's plan: its root fields, their arguments bound from a request's
variables, and their encoders (see :mod:`graphrec.api.fast`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLString,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    is_input_object_type,
    is_non_null_type,
    value_from_ast,
)
from graphql.error import GraphQLError
from graphql.execution.values import get_argument_values, get_variable_values

from graphrec.api.encoders import Encoder, Unsupported
from graphrec.serving.render import ReasonWriter
from graphrec.serving.service import Service

#: A root resolver: the service, the arguments and the plan's reason writer (or None).
Root = Callable[[Service, dict[str, Any], ReasonWriter | None], Any]
#: A root field of a plan: its key in the answer, resolver, node, definition and encoder.
RootField = tuple[str, Root, FieldNode, Any, Encoder]


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


def _default(argument: GraphQLArgument) -> Any:
    """An argument's default as the schema's SDL writes it (Undefined: none)."""
    node = argument.ast_node
    if node is None or node.default_value is None:
        return Undefined
    return value_from_ast(node.default_value, argument.type)


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
                default, nonnull = _default(argument), is_non_null_type(argument.type)
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
