"""Requests meant to hurt: each gets a clear client error quickly, never a 500, and the server
answers the next request as before."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(App(service, api_key=API_KEY), raise_server_exceptions=False)


def still_answers(client: TestClient) -> None:
    answer = client.post("/graphql", json={"query": "{ trending(k: 1) { item { id } } }"})
    assert answer.status_code == 200 and answer.json()["data"]["trending"]


def nested_fragments(levels: int) -> str:
    """A 2 KB document whose fragments each spread the next twice: 2^levels paths if walked
    naively."""
    parts = ["query { ...F0 }"]
    for level in range(levels):
        parts.append(f"fragment F{level} on Query {{ ...F{level + 1} ...F{level + 1} }}")
    parts.append(f"fragment F{levels} on Query {{ trending(k: 1) {{ item {{ id }} }} }}")
    return "\n".join(parts)


def test_nested_fragments_are_measured_in_linear_time(client: TestClient) -> None:
    document = nested_fragments(30)
    assert len(document) < 2_500
    started = time.perf_counter()
    answer = client.post("/graphql", json={"query": document})
    assert time.perf_counter() - started < 2.0
    assert answer.status_code == 200
    # within the limits, and one field however often it is spread: answered
    assert answer.json()["data"]["trending"][0]["item"]["id"]
    still_answers(client)


def messages(client: TestClient, document: str) -> list[str]:
    return [
        e["message"] for e in client.post("/graphql", json={"query": document}).json()["errors"]
    ]


def test_depth_and_aliases_hidden_in_fragments_count(client: TestClient) -> None:
    nested = "b { c { d { e { f { g { h { i { j { k { l } } } } } } } } } }"  # 10 below b
    assert "'anonymous' exceeds maximum operation depth of 10" in messages(
        client, "{ a { ...F } }\nfragment F on Query { " + nested + " }"
    )
    assert not any(
        "depth" in m for m in messages(client, "{ a { ...F } }\nfragment F on Query { b }")
    )
    aliased = " ".join(f"a{n}: trending(k: 1) {{ item {{ id }} }}" for n in range(4))
    four = "fragment F on Query { " + aliased + " }"
    over = messages(client, "{ ...F ...G } fragment G on Query { ...F ...F ...F }\n" + four)
    assert "16 aliases found in 'anonymous'; at most 15 are allowed" in over


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[1, 2]", "application/json"),
        (b'"a string"', "application/json"),
        (b"42", "application/json"),
        (b"null", "application/json"),
        (b'{"query": "\xff\xfe{ trending { item { id } } }"}', "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ trending(k: 1) { item { id } } }", "variables": [1]}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (
            (
                '{"query": "{ trending(k: 1) { item { id } } }", "variables": '
                + '{"a":' * 5000
                + "1"
                + "}" * 5000
                + "}"
            ).encode(),
            "application/json",
        ),
    ],
)
def test_bodies_that_are_not_a_graphql_request_get_400(
    client: TestClient, body: bytes, content_type: str
) -> None:
    answer = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["errors"][0]["message"]
    still_answers(client)


def test_a_lone_surrogate_is_a_client_error(client: TestClient) -> None:
    body = '{"query": "{ user(id: \\"\\ud800\\") { id } }"}'
    answer = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert answer.status_code in (200, 400)
    error = answer.json()["errors"][0]
    assert error["message"] != "Unexpected error."
    still_answers(client)


def test_a_key_that_is_not_ascii_is_refused(client: TestClient) -> None:
    mutation = 'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }'
    answer = client.post(
        "/graphql",
        content=json.dumps({"query": mutation}).encode(),
        headers=[(b"content-type", b"application/json"), (b"x-api-key", "clé".encode())],
    )
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    still_answers(client)


def test_a_body_too_large_is_refused_unread(client: TestClient) -> None:
    answer = client.post(
        "/graphql",
        content=b'{"query": "' + b" " * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413
    still_answers(client)


def test_a_long_cart_is_refused_quickly(client: TestClient) -> None:
    ids = [f"item-{n}" for n in range(16_000)]  # 200 KB of variables
    query = "query C($ids: [ID!]!) { complementsForCart(itemIds: $ids) { item { id } } }"
    started = time.perf_counter()
    answer = client.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    assert time.perf_counter() - started < 2.0
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert error["message"] == "at most 100 item ids, got 16000"
    # written into the document instead, the ids are over the token limit: refused unparsed
    inline = "{ complementsForCart(itemIds: " + json.dumps(ids) + ") { item { id } } }"
    refused = client.post("/graphql", json={"query": inline}).json()
    assert "more than 2000 tokens" in refused["errors"][0]["message"]
    still_answers(client)


def test_a_slow_write_does_not_hold_up_reads(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one event commits (made to take 1 s), reads are answered at once."""
    import asyncio

    import httpx

    original = service.store.write

    def slow_write(batch: Any) -> Any:
        time.sleep(1.0)
        return original(batch)

    monkeypatch.setattr(service.store, "write", slow_write)
    app = App(service, api_key=API_KEY)
    event = (
        'mutation { recordInteraction(input: {userId: "erin", itemId: "serum", kind: "view"}) '
        "{ recorded } }"
    )
    read = "{ trending(k: 1) { item { id } } }"

    async def scenario() -> tuple[float, float, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            started = time.perf_counter()
            writing = asyncio.create_task(
                client.post("/graphql", json={"query": event}, headers={"X-API-Key": API_KEY})
            )
            await asyncio.sleep(0.1)  # the write is committing
            answer = await client.post("/graphql", json={"query": read})
            read_at = time.perf_counter() - started
            written = await writing
            return read_at, time.perf_counter() - started, (answer.json(), written.json())

    read_at, write_at, (answer, written) = asyncio.run(scenario())
    assert answer["data"]["trending"] and written["data"]["recordInteraction"]["recorded"] == 1
    assert read_at < 0.6 < 1.0 <= write_at


def test_distinct_documents_cost_little_memory_each(client: TestClient) -> None:
    """Every request a new document (as a crawler or an attacker sends them): what the server
    keeps per document is bounded by its caches (256 parsed and validated documents)."""
    import gc
    import tracemalloc

    def document(n: int) -> str:
        return (
            f'query Q{n} {{ recommendations(userId: "alice", k: {1 + n % 20}) '
            "{ items { rank item { title brand { name } } } } }"
        )

    tracemalloc.start()  # before the caches fill: what they let go counts too
    try:
        for n in range(260):
            assert client.post("/graphql", json={"query": document(n)}).status_code == 200
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for n in range(260, 400):
            assert client.post("/graphql", json={"query": document(n)}).status_code == 200
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2**20, f"140 more documents kept {grown / 2**20:.2f} MB"
    still_answers(client)
