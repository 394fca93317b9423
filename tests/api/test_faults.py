"""The API over HTTP on the known shop, its schema file, and what it does when something fails:
the store, a compiled plan, a client's bad request.

The shop: alice bought serum and cream and viewed lipstick; bob bought serum and cream and put
toner (out of stock) in his cart; carol bought serum and toner and rated mascara; dave bought
lipstick and mascara. BOUGHT_WITH (intent kinds, >= 2 shoppers): serum-cream 2, serum-toner 2.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.api.fast import FastPath
from graphrec.api.operations import Operations
from graphrec.api.schema import schema
from graphrec.errors import StoreUnavailable
from graphrec.serving.service import Service
from graphrec.store.base import GraphBatch, GraphStore
from tests.api.conftest import API_KEY
from tests.api.helpers import RECS, ids, ok, recs
from tests.graphs import interactions_table, served_config


def test_http(service: Service) -> None:
    client = TestClient(App(service, api_key=API_KEY, operations=Operations.of(RECS)))
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 200
    response = client.post("/graphql", json={"query": RECS, "variables": {"user": "alice", "k": 2}})
    assert response.status_code == 200
    assert len(response.json()["data"]["recommendations"]["items"]) == 2
    mutation = 'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }'
    denied = client.post("/graphql", json={"query": mutation})
    assert denied.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    allowed = client.post("/graphql", json={"query": mutation}, headers={"X-API-Key": API_KEY})
    assert allowed.json()["data"] == {"notInterested": {"recorded": 1}}
    broken = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    typo = client.post("/graphql", json={"query": "{ recommendation(userId: 1) { x } }"})
    assert typo.status_code == 200 and typo.json()["errors"]
    metrics = client.get("/metrics").text
    # the compiled plan's answers and Strawberry's are counted by their status
    assert 'graphrec_requests_total{path="/graphql",status="200"} 4.0' in metrics
    assert 'graphrec_requests_total{path="/graphql",status="400"} 1.0' in metrics
    assert "graphrec_graphql_fast_total 1.0" in metrics


def test_a_fault_in_a_compiled_plan_is_answered_by_strawberry(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: FastPath, body: bytes) -> bytes | None:
        raise RuntimeError("a bug in a plan")

    monkeypatch.setattr(FastPath, "try_execute", broken)
    client = TestClient(App(service, operations=Operations.of(RECS)), raise_server_exceptions=False)
    response = client.post("/graphql", json={"query": RECS, "variables": {"user": "alice", "k": 2}})
    assert response.status_code == 200
    assert len(response.json()["data"]["recommendations"]["items"]) == 2


def test_schema_file_is_current() -> None:
    sdl = (Path(__file__).parents[2] / "api" / "schema.graphql").read_text()
    assert sdl == schema.as_str() + "\n", "api/schema.graphql is stale: run `graphrec schema`"


class Outage:
    """The real embedded store behind a switch that makes every call fail as an unreachable
    server would (fault injection: what the service does when the store goes away)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("store unreachable (injected outage)")
            return attribute(*args, **kwargs)

        return call


def test_store_outage_reads_go_on_writes_fail(
    store: GraphStore, shop_artifact: Path, tmp_path: Path
) -> None:
    outage = Outage(store)
    service = Service.open(outage, shop_artifact, config=served_config())  # type: ignore[arg-type]
    client = TestClient(App(service, api_key=API_KEY))
    outage.down = True
    assert client.get("/ready").status_code == 503
    for mutation in (
        'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }',
        'mutation { putRule(input: {id: "r", action: PIN, itemId: "mascara"}) { id } }',
        'mutation { deleteRule(id: "r") { deleted } }',
    ):
        failed = client.post("/graphql", json={"query": mutation}, headers={"X-API-Key": API_KEY})
        assert failed.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", mutation
    assert service.rules() == []
    # the persisted recording mutation (answered by its plan) fails as Strawberry fails
    op = Operations.load()["RecordInteraction"]
    event = {"userId": "alice", "itemId": "mascara", "kind": "view", "ts": 7}
    answers = [
        client.post("/graphql", json=body, headers={"X-API-Key": API_KEY}).json()
        for body in (
            {"query": op.text, "variables": {"input": event}},
            {
                "query": op.text.replace("RecordInteraction(", "Inline("),
                "variables": {"input": event},
            },
        )
    ]
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert answers[0]["errors"][0]["path"] == ["recordInteraction"]
    answer = recs(service, "alice")
    assert answer["degraded"] is True and answer["items"]
    assert "mascara" in ids(answer)  # the failed write changed nothing
    outage.down = False
    assert client.get("/ready").status_code == 200
    assert recs(service, "alice")["degraded"] is False


def test_store_down_at_start_serves_the_artifact(store: GraphStore, shop_artifact: Path) -> None:
    outage = Outage(store)
    outage.down = True
    service = Service.open(outage, shop_artifact, config=served_config())  # type: ignore[arg-type]
    answer = recs(service, "alice")
    assert answer["degraded"] is True
    assert answer["strategy"] == "PERSONALIZED" and answer["items"]


EVERY_OPERATION = [
    ('{ recommendations(userId: "bob", k: 2) { items { item { id } } } }', None),
    ('{ similarItems(itemId: "serum", k: 2) { item { id } } }', None),
    ('{ boughtTogether(itemId: "serum") { item { id } } }', None),
    ('{ complementsForCart(itemIds: ["serum"]) { item { id } } }', None),
    ("{ trending(k: 2) { item { id } } }", None),
    ('{ explain(userId: "bob", itemId: "toner") { kind } }', None),
    ('{ item(id: "serum") { title } user(id: "bob") { id } }', API_KEY),
    (
        'mutation { recordInteraction(input: {userId: "bob", itemId: "serum", kind: "view"})'
        " { recorded } }",
        API_KEY,
    ),
    (
        "mutation { recordInteractions(inputs: ["
        '{userId: "bob", itemId: "serum", kind: "view"}]) { recorded } }',
        API_KEY,
    ),
    ('mutation { notInterested(userId: "bob", itemId: "lipstick") { recorded } }', API_KEY),
    ('mutation { upsertItem(input: {id: "new", title: "New"}) { created } }', API_KEY),
    ('mutation { forgetUser(userId: "carol") { deleted } }', API_KEY),
    ("mutation { reloadGraph { items } }", API_KEY),
    ('mutation { putRule(input: {id: "r", action: BURY, brandId: "rouge"}) { id } }', API_KEY),
    ('mutation { deleteRule(id: "r") { deleted } }', API_KEY),
    ("{ rules { id } }", API_KEY),
]


@pytest.mark.parametrize(("query", "key"), EVERY_OPERATION)
def test_every_operation_over_http(service: Service, query: str, key: str | None) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    headers = {"X-API-Key": key} if key else {}
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert all(value is not None for value in body["data"].values())


def test_reload_picks_up_writes_that_bypassed_the_api(service: Service, store: GraphStore) -> None:
    store.write(
        GraphBatch(
            users=pa.table({"id": ["outsider"]}),
            interactions=interactions_table([("outsider", "toner", "purchase", 5.0, None, 500)]),
        )
    )
    assert ok(service, '{ user(id: "outsider") { id } }', True)["user"] is None  # not seen yet
    swapped: list[Any] = []
    service.after_reload.append(lambda: swapped.append(service.engine))  # serve freezes here
    old_engine = service.engine
    reloaded = ok(service, "mutation { reloadGraph { items users } }", authorized=True)
    assert reloaded["reloadGraph"] == {"items": 6, "users": 5}
    assert swapped == [service.engine] and service.engine is not old_engine
    user = ok(service, '{ user(id: "outsider") { history { item { id } } } }', True)["user"]
    assert user == {"history": [{"item": {"id": "toner"}}]}
    assert recs(service, "outsider")["strategy"] == "PERSONALIZED"


def test_client_errors_are_logged_in_one_line_faults_with_their_traceback(
    service: Service, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(App(service, api_key=API_KEY), raise_server_exceptions=False)
    admin = {"x-api-key": API_KEY}
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        client.post("/graphql", json={"query": "{ recommendation(userId: 1) { x } }"})
        client.post(
            "/graphql",
            json={"query": '{ item(id: "serum") { title } user(id: "x", history: -1) { id } }'},
            headers=admin,
        )
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("client error: Cannot query field 'recommendation'")
    assert lines[0].endswith("(at line 1, column 3)") and "\n" not in lines[0]
    assert lines[1] == "client error: history must be in 0..1000, got -1 (at user)"
    assert all(r.exc_info is None for r in caplog.records)
    caplog.clear()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service.engine, "top_shoppers", broken)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        answer = client.post("/graphql", json={"query": "{ shoppers }"}, headers=admin).json()
    assert answer["errors"][0]["message"] == "Unexpected error."
    assert caplog.records[0].exc_info is not None  # a fault keeps its traceback
