"""How the API reports graphrec's errors, and who may change things."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from graphrec.errors import GraphRecError, InvalidInput, NotFound, StoreUnavailable
from graphrec.serving.service import Service

F = TypeVar("F", bound=Callable[..., Any])


def code_of(error: Exception) -> str:
    """The ``extensions.code`` of a graphrec error."""
    if isinstance(error, NotFound):
        return "NOT_FOUND"
    if isinstance(error, StoreUnavailable):
        return "STORE_UNAVAILABLE"
    if isinstance(error, InvalidInput):
        return "BAD_INPUT"
    return "ERROR"


def typed_errors(resolver: F) -> F:
    """Turn graphrec's errors into GraphQL errors with a code (sync and async resolvers)."""
    if inspect.iscoroutinefunction(resolver):

        @functools.wraps(resolver)
        async def waiting(*args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(*args, **kwargs)
            except GraphRecError as e:
                raise GraphQLError(str(e), extensions={"code": code_of(e)}) from e

        return cast(F, waiting)

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return resolver(*args, **kwargs)
        except GraphRecError as e:
            raise GraphQLError(str(e), extensions={"code": code_of(e)}) from e

    return cast(F, wrapper)


def service_of(info: Info) -> Service:
    return cast(Service, info.context["service"])


#: Who a request speaks for, by the key in its X-API-Key header (``context["role"]``):
#: the admin key (GRAPHREC_API_KEY) or the shop frontends' read key (GRAPHREC_READ_KEY).
ADMIN, READ = "admin", "read"


class IsAdmin(BasePermission):
    """Catalogue and rule changes, privacy deletes, operator actions, personal data."""

    message = "this needs the admin key (GRAPHREC_API_KEY) in the X-API-Key header"
    error_extensions = {"code": "UNAUTHORIZED"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.get("role") == ADMIN


class CanRecord(BasePermission):
    """A shop frontend records its shoppers' events with the read key (or the admin key)."""

    message = "events need the read key (GRAPHREC_READ_KEY) or the admin key in X-API-Key"
    error_extensions = {"code": "UNAUTHORIZED"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.get("role") in (ADMIN, READ)


class ClientErrorsInOneLine(logging.Filter):
    """Strawberry logs every error of an answer with its traceback. A client's mistake (a bad
    document, variable or id, a missing key) becomes one line, "client error: MESSAGE (at
    PATH)", and so does the store being unavailable ("store unavailable: ..."); an unexpected
    error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError | GraphRecError):
            return True  # a fault of ours: keep the traceback
        where = ""
        if error.path:
            where = " (at " + ".".join(str(step) for step in error.path) + ")"
        elif error.locations:
            where = f" (at line {error.locations[0].line}, column {error.locations[0].column})"
        code = (error.extensions or {}).get("code")
        label = "store unavailable" if code == "STORE_UNAVAILABLE" else "client error"
        record.msg, record.args = f"{label}: %s%s", (error.message, where)
        record.exc_info, record.exc_text = None, None
        return True


def log_client_errors_in_one_line() -> None:
    """Install :class:`ClientErrorsInOneLine` on Strawberry's logger (once)."""
    logger = logging.getLogger("strawberry.execution")
    if not any(isinstance(f, ClientErrorsInOneLine) for f in logger.filters):
        logger.addFilter(ClientErrorsInOneLine())
