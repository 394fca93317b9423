"""Who may do what: the read key (a shop frontend) reads recommendations and the catalogue and
records its shoppers' events; the admin key does everything else, personal data included."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY

READ_KEY = "shop-frontend-key"
RECS = '{ recommendations(userId: "alice", k: 2) { items { item { id } } } }'
EVENT = (
    'mutation { recordInteraction(input: {userId: "erin", itemId: "serum", kind: "view"}) '
    "{ recorded } }"
)
PERSONAL = ['{ user(id: "alice") { history { item { id } } } }', "{ shoppers(k: 3) }"]
ADMIN_ONLY = [
    'mutation { forgetUser(userId: "bob") { deleted } }',
    'mutation { upsertItem(input: {id: "serum", price: 1.0}) { created } }',
    'mutation { putRule(input: {id: "r", action: BURY, itemId: "serum"}) { id } }',
    "mutation { reloadGraph { items } }",
]


def post(client: TestClient, query: str, key: str | None) -> Any:
    headers = {"x-api-key": key} if key is not None else {}
    return client.post("/graphql", json={"query": query}, headers=headers)


def code(answer: Any) -> str | None:
    errors = answer.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(App(service, api_key=API_KEY, read_key=READ_KEY))


def test_with_a_read_key_set_every_request_needs_a_key(client: TestClient) -> None:
    refused = post(client, RECS, None)
    assert refused.status_code == 401 and code(refused) == "UNAUTHORIZED"
    assert code(post(client, RECS, "a-wrong-key")) == "UNAUTHORIZED"
    assert code(post(client, RECS, READ_KEY)) is None
    assert code(post(client, RECS, API_KEY)) is None


def test_the_read_key_records_events_and_nothing_more(client: TestClient) -> None:
    assert post(client, EVENT, READ_KEY).json()["data"]["recordInteraction"]["recorded"] == 1
    for query in PERSONAL + ADMIN_ONLY:
        assert code(post(client, query, READ_KEY)) == "UNAUTHORIZED", query
    assert post(client, PERSONAL[0], API_KEY).json()["data"]["user"]["history"]
    assert post(client, PERSONAL[1], API_KEY).json()["data"]["shoppers"]
    assert code(post(client, ADMIN_ONLY[0], API_KEY)) is None


def test_without_a_read_key_reads_are_open_but_not_personal_data(service: Service) -> None:
    open_reads = TestClient(App(service, api_key=API_KEY))
    assert code(post(open_reads, RECS, None)) is None
    for query in [*PERSONAL, EVENT, *ADMIN_ONLY]:
        assert code(post(open_reads, query, None)) == "UNAUTHORIZED", query
