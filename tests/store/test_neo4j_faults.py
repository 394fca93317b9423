"""Neo4j stopped under a serving graphrec and started again: reads go on from what the service
holds (marked degraded), writes fail with STORE_UNAVAILABLE and change nothing, and once Neo4j
is back graphrec recovers by itself, without a restart of its own.

Runs a Neo4j of its own (tools/neo4j/neo4j.sh on free ports and a temporary folder), so that
stopping it disturbs no other test. Skipped where the test Neo4j is (see tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.errors import StoreError
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.serving.service import Service
from graphrec.store import GraphBatch, open_store
from tests.api.conftest import API_KEY
from tests.api.helpers import ids, recs
from tests.conftest import free_port, neo4j_uri
from tests.graphs import served_config, shop_batch

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "neo4j" / "neo4j.sh"
PASSWORD = "faults-test-password"


class PrivateNeo4j:
    def __init__(self, folder: Path) -> None:
        self.bolt, self.http = free_port(), free_port()
        self.env = {
            **os.environ,
            "NEO4J_DATA": str(folder),
            "NEO4J_BOLT_PORT": str(self.bolt),
            "NEO4J_HTTP_PORT": str(self.http),
            "NEO4J_HEAP": "512m",
            "NEO4J_PAGECACHE": "128m",
            "GRAPHREC_NEO4J_PASSWORD": PASSWORD,
        }

    def run(self, command: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module")
def private_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateNeo4j]:
    neo4j_uri()  # skips, or fails under GRAPHREC_REQUIRE_NEO4J, like every Neo4j test
    server = PrivateNeo4j(tmp_path_factory.mktemp("private") / "neo4j")
    try:
        assert server.run("start") == f"neo4j://127.0.0.1:{server.bolt}"
        yield server
    finally:
        server.run("stop")


def test_neo4j_stopped_and_started_under_the_service(
    private_neo4j: PrivateNeo4j, shop_artifact: Path, tmp_path: Path
) -> None:
    url = f"neo4j://neo4j:{PASSWORD}@127.0.0.1:{private_neo4j.bolt}"
    store = open_store(url)
    store.write(shop_batch())
    store.replace_bought_with(bought_with_edges(export_snapshot(store), ["view", "click"], 50, 2))
    service = Service.open(store, shop_artifact, config=served_config())
    client = TestClient(App(service, api_key=API_KEY))
    assert client.get("/ready").status_code == 200
    before = recs(service, "alice")
    assert before["degraded"] is False and "mascara" in ids(before)

    private_neo4j.run("stop")
    assert client.get("/ready").status_code == 503
    not_interested = 'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }'
    failed = client.post(
        "/graphql", json={"query": not_interested}, headers={"X-API-Key": API_KEY}
    ).json()
    assert failed["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert "unreachable" in failed["errors"][0]["message"]
    during = recs(service, "alice")
    assert during["degraded"] is True and during["items"]
    assert "mascara" in ids(during)  # the failed write changed nothing

    private_neo4j.run("start")
    assert client.get("/ready").status_code == 200
    assert "mascara" in ids(recs(service, "alice"))
    assert [i.item_id for i in store.recent_interactions("alice")] == ["lipstick", "cream", "serum"]
    done = client.post("/graphql", json={"query": not_interested}, headers={"X-API-Key": API_KEY})
    assert done.json() == {"data": {"notInterested": {"recorded": 1}}}
    after = recs(service, "alice")
    assert after["degraded"] is False and "mascara" not in ids(after)
    store.close()


def test_a_write_too_big_for_the_heap_says_so_and_changes_nothing(
    private_neo4j: PrivateNeo4j,
) -> None:
    """A 512 MB heap lets transactions hold about 360 MB; 200,000 new relationships in one
    transaction need more."""
    store = open_store(f"neo4j://neo4j:{PASSWORD}@127.0.0.1:{private_neo4j.bolt}")
    store.clear()
    users = [f"u{n}" for n in range(2_000)]
    items = [f"i{n}" for n in range(2_000)]
    rows = 200_000
    batch = GraphBatch(
        users=pa.table({"id": users}),
        items=pa.table(
            {
                "id": items,
                "title": pa.nulls(len(items), pa.string()),
                "price": pa.nulls(len(items), pa.float64()),
                "in_stock": pa.nulls(len(items), pa.bool_()),
                "created_at": pa.nulls(len(items), pa.int64()),
            }
        ),
        interactions=pa.table(
            {
                "user_id": [users[n % 2_000] for n in range(rows)],
                "item_id": [items[(n // 2_000 + n) % 2_000] for n in range(rows)],
                "kind": ["view"] * rows,
                "weight": [1.0] * rows,
                "rating": pa.nulls(rows, pa.float64()),
                "ts": pa.array(range(rows), pa.int64()),
                "split": ["train"] * rows,
            }
        ),
    )
    with pytest.raises(StoreError, match="too little heap for this write") as caught:
        store.write(batch)
    assert "NEO4J_HEAP" in str(caught.value)
    assert store.counts().nodes["User"] == 0  # one transaction: nothing of it was kept
    store.close()
