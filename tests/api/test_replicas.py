"""Several serving processes on one Neo4j agree: what is written through one is in the next
answer of another. Each replica here is a Service and App with its own Neo4j connection, as a
separate process has; ``graphrec serve --workers 2`` is tested end to end in test_workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.models import versions
from graphrec.serving.service import Service
from graphrec.store import open_store
from tests.api.conftest import API_KEY
from tests.conftest import neo4j_uri, open_backend
from tests.graphs import served_config, shop_batch

RECS = "query($u: ID!) { recommendations(userId: $u, k: 6) { modelVersion items { item { id } } } }"
HISTORY = "query($u: ID!) { user(id: $u) { history { item { id } kind } } }"


class Replica:
    def __init__(self, artifact: Path, tmp_path: Path, name: str) -> None:
        self.store = open_store(neo4j_uri())
        config = served_config()
        self.service = Service.open(
            self.store, artifact, config=config, log_dir=tmp_path / name, models_dir=artifact.parent
        )
        self.client = TestClient(App(self.service, api_key=API_KEY))

    def ask(self, query: str, **variables: Any) -> Any:
        body = {"query": query, "variables": variables}
        answer = self.client.post("/graphql", json=body, headers={"x-api-key": API_KEY}).json()
        assert "errors" not in answer, answer
        return answer["data"]

    def recommended(self, user: str) -> list[str]:
        items = self.ask(RECS, u=user)["recommendations"]["items"]
        return [i["item"]["id"] for i in items]


@pytest.fixture
def replicas(shop_artifact: Path, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    graph = open_backend("neo4j", tmp_path)
    graph.write(shop_batch())
    graph.replace_bought_with(bought_with_edges(export_snapshot(graph), ["view"], 50, 2))
    pair = (Replica(shop_artifact, tmp_path, "a"), Replica(shop_artifact, tmp_path, "b"))
    yield pair
    for replica in pair:
        replica.store.close()
    graph.close()


def test_an_event_through_one_is_in_the_next_answer_of_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    assert "serum" in b.recommended("dave")
    a.ask(
        'mutation { recordInteraction(input: {userId: "dave", itemId: "serum", '
        'kind: "purchase", ts: 400}) { recorded } }'
    )
    assert "serum" not in b.recommended("dave")  # bought: not recommended again
    history = b.ask(HISTORY, u="dave")["user"]["history"]
    assert history[0] == {"item": {"id": "serum"}, "kind": "purchase"}
    # the same event again (a retry) is kept once, in the store and in both memories
    a.ask(
        'mutation { recordInteraction(input: {userId: "dave", itemId: "serum", '
        'kind: "purchase", ts: 400}) { recorded } }'
    )
    for replica in (a, b):
        assert len(replica.ask(HISTORY, u="dave")["user"]["history"]) == 3


def test_not_interested_forget_rules_and_items_reach_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    assert "mascara" in b.recommended("alice")
    a.ask('mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }')
    assert "mascara" not in b.recommended("alice")

    a.ask('mutation { forgetUser(userId: "dave") { deleted } }')
    assert b.ask(HISTORY, u="dave")["user"] is None

    pinned = b.recommended("bob")
    assert pinned[0] != "brush"
    a.ask(
        'mutation { putRule(input: {id: "pin-brush", action: PIN, itemId: "brush", '
        "position: 1}) { id } }"
    )
    assert b.recommended("bob")[0] == "brush"
    b.ask('mutation { deleteRule(id: "pin-brush") { deleted } }')
    assert a.recommended("bob") == pinned

    a.ask(
        'mutation { upsertItem(input: {id: "balm", title: "Lip Balm", price: 5.0, '
        'brandId: "rouge", categories: [{id: "Makeup > Lips"}]}) { created } }'
    )
    item = b.ask('{ item(id: "balm") { title price brand { id } } }')["item"]
    assert item == {"title": "Lip Balm", "price": 5.0, "brand": {"id": "rouge"}}


def test_a_model_activated_in_the_store_is_served_by_every_replica(
    replicas: tuple[Replica, Replica], shop_artifact: Path
) -> None:
    a, b = replicas
    first = shop_artifact.name
    versions.activate(a.store, shop_artifact.parent, first)  # graphrec serve does this at start
    assert a.ask(RECS, u="alice")["recommendations"]["modelVersion"] == first
    # a second version of the same model (a retraining would make one)
    second = shop_artifact.parent / f"{first}-retrained"
    if not second.exists():
        second.symlink_to(shop_artifact, target_is_directory=True)
    versions.activate(a.store, shop_artifact.parent, second.name)
    for replica in (a, b):
        replica.ask(RECS, u="alice")  # sees the switch, rebuilds in the background
        assert replica.service.follower.idle(60)
        assert replica.ask(RECS, u="alice")["recommendations"]["modelVersion"] == second.name
    versions.rollback(b.store, shop_artifact.parent)
    for replica in (a, b):
        replica.ask(RECS, u="alice")
        assert replica.service.follower.idle(60)
        assert replica.ask(RECS, u="alice")["recommendations"]["modelVersion"] == first
