"""Neo4j stopped under a serving graphrec and started again: reads go on from what the service
holds (marked degraded), writes fail with STORE_UNAVAILABLE and change nothing, and once Neo4j
is back graphrec recovers by itself, without a restart of its own.

Runs a Neo4j of its own (tools/neo4j/neo4j.sh on free ports and a temporary folder), so that
stopping it disturbs no other test. Skipped where the test Neo4j is (see tests/conftest.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.serving.engine import EngineConfig
from graphrec.serving.service import Service
from graphrec.store import open_store
from tests.api.conftest import API_KEY
from tests.api.test_api import ids, recs
from tests.conftest import neo4j_uri
from tests.graphs import shop_batch

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "neo4j" / "neo4j.sh"
PASSWORD = "faults-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@pytest.fixture
def private_neo4j(tmp_path: Path) -> Iterator[PrivateNeo4j]:
    neo4j_uri()  # skips, or fails under GRAPHREC_REQUIRE_NEO4J, like every Neo4j test
    server = PrivateNeo4j(tmp_path / "neo4j")
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
    service = Service.open(
        store, shop_artifact, config=EngineConfig(explore=0.0, control_share=0.0)
    )
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
