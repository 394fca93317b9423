"""What a GraphQL request over HTTP must be before anything parses its document: a body of at
most :data:`MAX_BODY` bytes, read within :data:`BODY_SECONDS`, that is a JSON object with a
string ``query`` (or a persisted operation's hash), an object of ``variables`` and a string
``operationName``. Anything else is the client's mistake, answered 400 (413: too large, 408:
too slow) with a message that says what was wrong, never a server error."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

#: The largest request body read (a document is at most 2,000 tokens; a cart of 100 ids).
MAX_BODY = 256 * 1024
#: How long a client may take to send its body.
BODY_SECONDS = 10.0


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def answer(self) -> dict[str, Any]:
        return {"errors": [{"message": str(self), "extensions": {"code": "BAD_REQUEST"}}]}


async def read_body(scope: dict[str, Any], receive: Any) -> bytes:
    """The request's body, refused before it is read when it says it is too large, and while
    it is read when it turns out so or takes too long."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            raise BadRequest(413, f"the body is {int(value):,} bytes; at most {MAX_BODY:,}")
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_SECONDS):
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise BadRequest(400, "the client left before its body was sent")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY:
                    raise BadRequest(413, f"the body is over {MAX_BODY:,} bytes")
                parts.append(chunk)
                more = message.get("more_body", False)
    except TimeoutError:
        raise BadRequest(408, f"the body took more than {BODY_SECONDS:g} s to arrive") from None
    return b"".join(parts)


def check_json_request(body: bytes) -> None:
    """Refuse a JSON body that is not a GraphQL request, naming what is wrong."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadRequest(400, f"the body is not JSON (UTF-8): {e}") from None
    if not isinstance(request, dict):
        raise BadRequest(
            400, 'the body must be a JSON object: {"query": "...", "variables": {...}}'
        )
    for name, kinds, what in (
        ("query", (str,), "a string"),
        ("operationName", (str,), "a string"),
        ("variables", (dict,), "an object"),
        ("extensions", (dict,), "an object"),
    ):
        value = request.get(name)
        if value is not None and not isinstance(value, kinds):
            raise BadRequest(400, f"{name} must be {what}, got {type(value).__name__}")
