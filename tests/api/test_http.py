"""The app over a real socket, as ``graphrec serve`` runs it under uvicorn: pipelined requests
are answered in order whatever path each takes (a compiled plan, Strawberry, a write), the same
bytes as the ASGI app answers in-process."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import orjson
import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.api.fast import FastPath
from graphrec.api.operations import Operations
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY, uvicorn_serving

#: No recommendation id: two answers to it are the same bytes.
QUERY = """query Top3($user: ID!) { recommendations(userId: $user, k: 3) {
  strategy items { rank score item { id title } reasons { kind text path { nodes { id } } } } } }"""

#: persisted: answered by its compiled plan
OPERATIONS = Operations.of(QUERY)


@pytest.fixture()
def served(service: Service) -> Iterator[tuple[int, App]]:
    app = App(service, api_key=API_KEY, operations=OPERATIONS)
    with uvicorn_serving(app) as port:
        yield port, app


def post(body: bytes, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return (
        b"POST /graphql HTTP/" + version + b"\r\nHost: shop\r\ncontent-type: application/json\r\n"
        + extra
        + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


def graphql(query: str, **variables: object) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


Answer = tuple[bytes, dict[bytes, bytes], bytes]


def exchange(port: int, *batches: list[bytes]) -> tuple[list[Answer], bool]:
    """On one connection, send each batch of requests at once and read its answers before the
    next. Returns (status line, headers, body) of each answer, and whether the server closed
    the connection."""
    answers: list[Answer] = []
    buffer, closed = b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for batch in batches:
            s.sendall(b"".join(batch))
            wanted = len(answers) + len(batch)
            while len(answers) < wanted and not closed:
                chunk = s.recv(65536)
                closed = not chunk
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    status, *lines = head.split(b"\r\n")
                    headers = dict(line.lower().split(b": ", 1) for line in lines)
                    length = int(headers[b"content-length"])
                    if len(rest) < length:
                        break
                    answers.append((status, headers, rest[:length]))
                    buffer = rest[length:]
        if not closed:
            s.settimeout(0.5)
            with contextlib.suppress(TimeoutError):
                closed = not s.recv(1)
    return answers, closed


def test_pipelined_requests_are_answered_in_order_on_every_path(
    served: tuple[int, App], service: Service
) -> None:
    port, app = served
    mutation = orjson.dumps(
        {"query": 'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }'}
    )
    requests = [
        post(graphql(QUERY, user="alice")),  # a compiled plan
        post(graphql(QUERY, user="bob")),  # a compiled plan
        post(b'{"query": "{ __typename }"}'),  # no plan: Strawberry
        post(graphql(QUERY, user="bob")),  # behind Strawberry's: waits, in order, for it
        post(mutation, b"x-api-key: " + API_KEY.encode() + b"\r\n"),  # Strawberry, a write
        post(graphql(QUERY, user="alice")),  # a compiled plan, after the write
        post(b"{not json"),  # Strawberry's 400
        post(graphql(QUERY, user="bob"), b"connection: close\r\n"),
    ]
    answers, closed = exchange(port, requests[:4], *([r] for r in requests[4:]))
    statuses = [status for status, _, _ in answers]
    assert statuses == [b"HTTP/1.1 200 OK"] * 6 + [b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 200 OK"]
    assert closed and answers[-1][1][b"connection"] == b"close"
    bodies = [orjson.loads(body) if status.endswith(b"OK") else body for status, _, body in answers]
    assert bodies[2] == {"data": {"__typename": "Query"}}
    assert bodies[1] == bodies[3]
    assert bodies[4] == {"data": {"notInterested": {"recorded": 1}}}
    before = [i["item"]["id"] for i in bodies[0]["data"]["recommendations"]["items"]]
    after = [i["item"]["id"] for i in bodies[5]["data"]["recommendations"]["items"]]
    assert "mascara" not in after and after != before
    # the same bytes as the ASGI app answers in-process (the state now: after the write)
    client = TestClient(App(service, api_key=API_KEY, operations=OPERATIONS))
    for index, user in ((5, "alice"), (7, "bob")):
        expected = client.post("/graphql", json={"query": QUERY, "variables": {"user": user}})
        assert answers[index][2] == expected.content
        assert answers[index][1][b"content-type"] == b"application/json"
    served_metrics = TestClient(app).get("/metrics").text
    assert "graphrec_graphql_fast_total 5.0" in served_metrics  # 0, 1, 3, 5 and 7
    assert 'graphrec_requests_total{path="/graphql",status="200"} 7.0' in served_metrics
    assert 'graphrec_requests_total{path="/graphql",status="400"} 1.0' in served_metrics


def test_a_plan_that_gives_up_leaves_the_answer_to_strawberry(
    served: tuple[int, App], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = served
    calls = []

    def gives_up(self: FastPath, body: bytes) -> bytes | None:
        calls.append(body)
        return None

    monkeypatch.setattr(FastPath, "try_execute", gives_up)
    answers, _ = exchange(port, [post(graphql(QUERY, user="alice"))])
    assert answers[0][0] == b"HTTP/1.1 200 OK"
    items = orjson.loads(answers[0][2])["data"]["recommendations"]["items"]
    assert len(items) == 3  # Strawberry's answer
    assert len(calls) == 1


def test_http_1_0_gets_its_answer_and_the_connection_closed(served: tuple[int, App]) -> None:
    port, _ = served
    answers, closed = exchange(port, [post(graphql(QUERY, user="alice"), version=b"1.0")])
    assert [status for status, _, _ in answers] == [b"HTTP/1.1 200 OK"]
    assert closed
    assert len(orjson.loads(answers[0][2])["data"]["recommendations"]["items"]) == 3
