"""Generated requests (tests/api/generated_requests.py: documents from the schema, valid and
not, persisted operations with generated variables, bodies that are not GraphQL): no answer is
a server error or holds a fault's traces, and none of them changes the graph. The benchmark
``benchmarks/reliability/fuzz.py`` sends 20,000 of them to a running server."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.api.operations import Operations
from graphrec.api.schema import schema
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY
from tests.api.generated_requests import Sent, problems, requests

READ_KEY = "read-key"
#: requests per backend (more: GRAPHREC_FUZZ_EXAMPLES)
EXAMPLES = int(os.environ.get("GRAPHREC_FUZZ_EXAMPLES", "400"))


def graph_state(service: Service) -> tuple[Any, ...]:
    store = service.store
    return (
        store.counts(),
        [store.recent_interactions(user, limit=50) for user in ("alice", "bob", "carol")],
        sorted(r.id for r, _ in service.rules()),
    )


def test_generated_requests_get_no_server_error_and_change_nothing(service: Service) -> None:
    client = TestClient(App(service, api_key=API_KEY, read_key=READ_KEY))
    operations = {op.name: op.text for op in Operations.load()}
    before = graph_state(service)
    seen: dict[str, int] = {}
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(schema.as_str(), operations, API_KEY, READ_KEY))
    def one(sent: Sent) -> None:
        answer = client.request(sent.method, sent.path, content=sent.body, headers=sent.headers)
        seen[sent.family] = seen.get(sent.family, 0) + 1
        for problem in problems(answer.status_code, answer.content):
            found.append(f"{problem}: {sent.body[:200]!r} -> {answer.content[:300]!r}")

    one()
    assert found == []
    assert len(seen) >= 6, seen  # every family was sent
    assert graph_state(service) == before
    assert client.get("/health").status_code == 200
