"""Persisted operations: the shipped documents compile, answer as Strawberry does, by their
text or their hash; anything else is Strawberry's; a bad operations folder is refused by name."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from graphrec.api import types
from graphrec.api.app import App
from graphrec.api.fast import FastPath
from graphrec.api.operations import NOT_FOUND_CODE, Operations
from graphrec.api.schema import schema
from graphrec.errors import InvalidInput
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY
from tests.api.helpers import ids, recs

#: variables for each shipped operation, on the shop of tests/graphs.py
VARIABLES: dict[str, dict[str, Any]] = {
    "ShopRecommendations": {"user": "alice", "k": 3},
    "Recommendations": {
        "user": "bob",
        "k": 4,
        "filter": {"inStockOnly": False},
        "diversity": 0.3,
        "explore": 0.0,
    },
    "ItemDetail": {"item": "serum"},
    "SimilarItems": {"item": "serum", "k": 2},
    "BoughtTogether": {"item": "serum"},
    "ComplementsForCart": {"items": ["serum", "toner"], "k": 3},
    "Trending": {"k": 2},
    "Explain": {"user": "bob", "item": "toner"},
}
#: variables for each shipped mutation (they record events: each test records them once)
RECORDING: dict[str, dict[str, Any]] = {
    "RecordInteraction": {"input": {"userId": "zoe", "itemId": "serum", "kind": "view", "ts": 50}},
    "RecordInteractions": {
        "inputs": [
            {"userId": "zoe", "itemId": "toner", "kind": "cart", "ts": 51},
            {"userId": "yan", "itemId": "toner", "kind": "view", "ts": 52, "weight": 2.0},
        ]
    },
    "NotInterested": {"userId": "zoe", "itemId": "mascara"},
}


def _same(answer: dict[str, Any]) -> dict[str, Any]:
    if isinstance(answer.get("data"), dict) and "recommendations" in answer["data"]:
        answer["data"]["recommendations"]["recommendationId"] = "-"
    return answer


def test_every_shipped_operation_is_compiled_and_answers_as_strawberry(service: Service) -> None:
    operations = Operations.load()
    assert {op.name for op in operations} == set(VARIABLES) | set(RECORDING)
    fast = FastPath(schema, service, operations)
    assert len(fast.plans) == len(VARIABLES)  # every query compiled
    assert len(fast.records) == len(RECORDING)  # every mutation too
    for op in operations:
        if op.name in RECORDING:
            continue
        variables = VARIABLES[op.name]
        expected = schema.execute_sync(
            op.text, variable_values=variables, context_value={"service": service}
        )
        assert expected.errors is None, (op.name, expected.errors)
        for body in (
            {"query": op.text, "variables": variables},
            {  # Apollo's automatic persisted queries: the hash alone
                "variables": variables,
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": op.sha256}},
            },
        ):
            answer = fast.try_execute(orjson.dumps(body))
            assert answer is not None, op.name
            assert _same(orjson.loads(answer)) == _same({"data": expected.data}), op.name


def test_recording_mutations_are_committed_then_answered_as_strawberry_would(
    service: Service,
) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    operations = Operations.load()
    answers = {}
    for name, variables in RECORDING.items():
        body = {"query": operations[name].text, "variables": variables}
        answers[name] = client.post("/graphql", json=body, headers={"X-API-Key": API_KEY}).json()
    assert answers == {
        "RecordInteraction": {"data": {"recordInteraction": {"recorded": 1}}},
        "RecordInteractions": {
            "data": {"recordInteractions": {"recorded": 2, "users": ["yan", "zoe"]}}
        },
        "NotInterested": {"data": {"notInterested": {"recorded": 1}}},
    }
    metrics = client.get("/metrics").text
    assert "graphrec_graphql_fast_total 3.0" in metrics  # each by its plan, not Strawberry
    assert "graphrec_events_recorded 4.0" in metrics
    stored = {(e.item_id, e.kind, e.ts) for e in service.store.recent_interactions("zoe", limit=10)}
    assert {("serum", "view", 50), ("toner", "cart", 51)} <= stored
    assert any(item == "mascara" and kind == "not_interested" for item, kind, _ in stored)
    assert [e.weight for e in service.store.recent_interactions("yan")] == [2.0]
    assert "mascara" not in ids(recs(service, "zoe"))


@pytest.mark.parametrize(
    ("variables", "headers", "code"),
    [  # each refused by Strawberry with its typed error: nothing queued
        ({"input": {"userId": "zoe", "itemId": "nope", "kind": "view"}}, True, "NOT_FOUND"),
        ({"input": {"userId": "zoe", "itemId": "serum", "kind": "View!"}}, True, "BAD_INPUT"),
        ({"input": {"userId": "zoe", "itemId": "serum", "kind": "view"}}, False, "UNAUTHORIZED"),
    ],
)
def test_a_refused_recording_names_its_error_and_records_nothing(
    service: Service, variables: dict[str, Any], headers: bool, code: str
) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    body = {"query": Operations.load()["RecordInteraction"].text, "variables": variables}
    sent = {"X-API-Key": API_KEY} if headers else {}
    answer = client.post("/graphql", json=body, headers=sent).json()
    assert answer["errors"][0]["extensions"]["code"] == code, answer
    assert service.store.recent_interactions("zoe") == []
    assert service.commits.units == 0


def test_hashes_over_http(service: Service) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    op = Operations.load()["SimilarItems"]
    assert op.sha256 == hashlib.sha256(op.text.encode()).hexdigest()
    unknown = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
    answer = client.post("/graphql", json=unknown).json()
    assert answer["errors"][0]["extensions"]["code"] == NOT_FOUND_CODE
    # a known hash with a bad variable: Strawberry answers it, with the document put in
    bad = {
        "variables": {"item": "serum", "k": "two"},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": op.sha256}},
    }
    answer = client.post("/graphql", json=bad).json()
    assert "errors" in answer and "$k" in answer["errors"][0]["message"], answer
    # an item that does not exist: the plan gives way, Strawberry names it
    missing = {**bad, "variables": {"item": "nope"}}
    answer = client.post("/graphql", json=missing).json()
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    metrics = client.get("/metrics").text
    assert "graphrec_graphql_fast_total 1.0" in metrics  # the unknown hash's answer


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.graphql"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("Mine", "query Other { trending { rank } }", "named Other, not Mine"),
        ("Mine", "{ trending { rank } }", "needs a name"),
        ("Mine", "query Mine { trending { rank } } query B { x }", "one operation"),
        ("Mine", "query Mine { trending { rank", "not a GraphQL document"),
        ("Mine", "query Mine { trending { nothing } }", "Cannot query field 'nothing'"),
        ("Trending", "query Trending { trending { rank } }", "also in"),
    ],
)
def test_a_bad_operations_folder_is_refused_by_file(
    service: Service, tmp_path: Path, name: str, text: str, message: str
) -> None:
    from graphrec.api.operations import operations_root

    path = write(tmp_path / "ops", name, text)
    with pytest.raises(InvalidInput, match=message) as refused:
        FastPath(schema, service, Operations.load(operations_root(), tmp_path / "ops"))
    assert str(path) in str(refused.value) or "document" in str(refused.value)


def test_a_shops_own_operation_is_answered_by_its_plan(service: Service, tmp_path: Path) -> None:
    from graphrec.api.operations import operations_root

    text = "query Cheapest($k: Int = 2) { trending(k: $k) { item { id price } } }"
    write(tmp_path / "ops", "Cheapest", text)
    operations = Operations.load(operations_root(), tmp_path / "ops")
    client = TestClient(App(service, operations=operations))
    answer = client.post("/graphql", json={"query": text}).json()
    assert len(answer["data"]["trending"]) == 2
    assert "graphrec_graphql_fast_total 1.0" in client.get("/metrics").text


def test_the_graphql_types_present_the_serving_dataclasses() -> None:
    """Each GraphQL type's fields are its dataclass's (camel-cased), so the default resolver
    and the encoders read them; the fields the API does not show are named here."""
    hidden = {"Recommendations": {"item_ids", "items_json", "scores", "slots"}}
    for name, presented in types.PRESENTS.items():
        graphql_type = schema.get_type_by_name(name)
        assert graphql_type is not None, name
        fields = {f.python_name for f in graphql_type.fields}  # type: ignore[union-attr]
        attributes = {f.name for f in dataclasses.fields(presented)}
        assert fields == attributes - hidden.get(name, set()), name
