"""uvicorn's httptools protocol with one shortcut: a ``POST /graphql`` that a compiled plan
answers is answered as soon as its body is in, from the protocol's callback, in one write.

Through ASGI the same request costs a task, an event, a request-response cycle, two awaited
``send`` messages whose headers are checked one by one, and two writes to the socket: 0.15 ms
of CPU for a request that does nothing (``/health``) on the development machine, against a
compiled plan's 0.35-0.5 ms per answer. Everything else (any other path or method, a body
that is not JSON, a query no plan answers, a pipelined request behind one still running) goes
through uvicorn's own path to the ASGI app unchanged, and a request that a plan tried and gave
up on is not tried again there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: A body larger than this goes to the ASGI app, with uvicorn's flow control.
MAX_BODY = 64 * 1024
#: Set in the ASGI scope of a request whose body a compiled plan has already been given.
TRIED = "graphrec.fast_tried"

Answer = Callable[[bytes], "bytes | None"]


class FastProtocol(HttpToolsProtocol):
    """Set ``answer`` (the JSON body for a request body, or None) on a subclass: see
    :func:`protocol`."""

    answer: Answer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._body: list[bytes] | None = None  # the parts of a body on the shortcut
        self._size = 0

    def on_headers_complete(self) -> None:
        self._body = None
        if (
            self.url == b"/graphql"
            and self.parser.get_method() == b"POST"
            and not self.expect_100_continue
            and not self.pipeline
            and (self.cycle is None or self.cycle.response_complete)
            and not self.parser.should_upgrade()
            and _json(self.headers)
        ):
            self._body, self._size = [], 0
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        parts = self._body
        if parts is None:
            super().on_body(body)
            return
        parts.append(body)
        self._size += len(body)
        if self._size > MAX_BODY:  # too big for the shortcut: uvicorn's path from here on
            self._to_asgi(b"".join(parts), more=True)

    def on_message_complete(self) -> None:
        parts = self._body
        if parts is None:
            super().on_message_complete()
            return
        self._body = None
        body = b"".join(parts)
        answer = self.answer(body)
        if answer is None:
            self._to_asgi(body, more=False)
            return
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        head = [b"HTTP/1.1 200 OK\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\ncontent-length: ",
            str(len(answer)).encode(),
            b"\r\n\r\n" if keep_alive else b"\r\nconnection: close\r\n\r\n",
            answer,
        ]
        self.transport.write(b"".join(head))
        if keep_alive:
            self.on_response_complete()  # counts it, re-arms the keep-alive timeout
        else:
            self.server_state.total_requests += 1
            self.transport.close()

    def _to_asgi(self, body: bytes, more: bool) -> None:
        """Hand the request to uvicorn's path (and so the ASGI app), with the body so far."""
        self._body = None
        self.scope[TRIED] = not more  # type: ignore[literal-required]
        super().on_headers_complete()
        super().on_body(body)
        if not more:
            super().on_message_complete()


def _json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.startswith(b"application/json")
    return False


def protocol(answer: Answer) -> type[FastProtocol]:
    """The protocol class for ``uvicorn.run(..., http=...)`` that answers through ``answer``."""
    return type("GraphrecHttp", (FastProtocol,), {"answer": staticmethod(answer)})
