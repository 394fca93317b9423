"""graphrec on a live Neo4j, as a shop runs it: the command line from load to training with
write-back, then serving, every reason path checked by a Cypher MATCH of exactly that path.

Needs the test Neo4j (``tools/neo4j/neo4j.sh start``, GRAPHREC_NEO4J_URI); skipped without it
unless GRAPHREC_REQUIRE_NEO4J is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.serving.service import Service
from graphrec.store import GraphStore
from tests.api.helpers import RECS, USERS, ok
from tests.conftest import neo4j_uri, open_backend
from tests.data.test_loaders import csv_dir

runner = CliRunner()


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[GraphStore]:
    store = open_backend("neo4j", tmp_path)
    yield store
    store.close()


@pytest.fixture
def cypher(graph: GraphStore) -> Iterator[neo4j.Driver]:
    """The official driver on the same database, for checks that do not go through graphrec."""
    auth = ("neo4j", os.environ.get("GRAPHREC_NEO4J_PASSWORD", ""))
    with neo4j.GraphDatabase.driver(neo4j_uri(), auth=auth) as driver:
        yield driver


def rows(driver: neo4j.Driver, statement: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(statement, params)
    return [record.data() for record in records]


def cli(*args: str) -> str:
    result = runner.invoke(app, [*args, "--store", neo4j_uri()])
    assert result.exit_code == 0, result.output
    return result.output


def match_path(driver: neo4j.Driver, path: dict[str, Any]) -> int:
    """How many paths of the store are exactly this one: each node by label and id, each
    relationship by type and direction (an INTERACTED one by its kind too). A node that stands
    for other shoppers (label Shoppers, no id) matches users other than the path's first node,
    and the path counts as found (1) when exactly as many of them as its name says exist."""
    nodes, params = path["nodes"], {}
    others = [k for k, node in enumerate(nodes) if node["label"] == "Shoppers"]

    def node_pattern(k: int) -> str:
        if k in others:
            return f"(n{k}:User)"
        params[f"id{k}"] = nodes[k]["id"]
        return f"(n{k}:{nodes[k]['label']} {{id: $id{k}}})"

    pattern = node_pattern(0)
    for step, rel in enumerate(path["relationships"]):
        assert {rel["start"], rel["end"]} == {step, step + 1}, "a path walks its nodes in order"
        props = f" {{kind: $kind{step}}}" if rel["type"] == "INTERACTED" and rel["kind"] else ""
        if props:
            params[f"kind{step}"] = rel["kind"]
        arrow = (
            f"-[:{rel['type']}{props}]->" if rel["start"] == step else f"<-[:{rel['type']}{props}]-"
        )
        pattern += arrow + node_pattern(step + 1)
    if not others:
        [record] = rows(driver, f"MATCH p = {pattern} RETURN count(p) AS n", **params)
        return int(record["n"])
    [k] = others
    statement = f"MATCH {pattern} WHERE n{k}.id <> $id0 RETURN count(DISTINCT n{k}) AS n"
    [record] = rows(driver, statement, **params)
    return 1 if int(record["n"]) == int(nodes[k]["name"].split()[0]) else 0


def test_from_load_to_vector_search_on_neo4j(
    graph: GraphStore, cypher: neo4j.Driver, tmp_path: Path
) -> None:
    shop = csv_dir(tmp_path)
    loaded = cli("load", "csv", str(shop))
    assert "neo4j://" in loaded and "BOUGHT_WITH edges: 0" in loaded
    counts = graph.counts()
    assert counts.nodes == {"User": 2, "Item": 2, "Category": 5, "Brand": 1}
    assert counts.relationships["INTERACTED"] == 4
    assert counts.relationships["BOUGHT_WITH"] == 0  # u1 bought serum, u2 carted cream: no pair
    # a bad file changes nothing, and says where
    bad_rows = "user_id,item_id,kind,ts\nu9,serum,view,yesterday\n"
    bad = csv_dir(tmp_path / "bad", interactions=bad_rows)
    refused = runner.invoke(app, ["load", "csv", str(bad), "--store", neo4j_uri()])
    assert refused.exit_code == 2 and "interactions.csv" in refused.output
    assert graph.counts() == counts
    cli("derive")
    out = tmp_path / "snapshot"
    cli("export", "--out", str(out))
    assert (out / "interactions.parquet").is_file()
    trained = cli("train", "--model", "lightgcn", "--set", "epochs=3", "--set", "embedding_dim=8")
    assert "SIMILAR_TO" in trained
    [stored] = rows(cypher, "MATCH (i:Item) WHERE i.embedding IS NOT NULL RETURN count(i) AS n")
    assert stored["n"] == 2
    [index] = rows(
        cypher,
        "SHOW VECTOR INDEXES YIELD name, state, labelsOrTypes, properties, options "
        "WHERE name = 'item_embedding' RETURN *",
    )
    assert (index["state"], index["labelsOrTypes"], index["properties"]) == (
        "ONLINE",
        ["Item"],
        ["embedding"],
    )
    assert index["options"]["indexConfig"]["vector.dimensions"] == 8
    similar = rows(cypher, "MATCH (:Item {id: 'serum'})-[s:SIMILAR_TO]->(o) RETURN o.id AS id")
    assert similar == [{"id": "cream"}]
    nearest = graph.explore("similar_by_vector", item_id="serum", limit=5)
    assert [r["item_id"] for r in nearest] == ["cream"]
    assert -1.0 <= nearest[0]["score"] <= 1.0
    shown = cli("explore", "similar_by_vector", "--set", "item_id=serum")
    assert "cream" in shown and "1 row(s)" in shown


def test_retraining_with_another_dimension_rebuilds_the_vector_index(
    graph: GraphStore, cypher: neo4j.Driver, tmp_path: Path
) -> None:
    cli("load", "csv", str(csv_dir(tmp_path)))
    cli("train", "--model", "lightgcn", "--set", "epochs=2", "--set", "embedding_dim=8")
    cli("train", "--model", "lightgcn", "--set", "epochs=2", "--set", "embedding_dim=16")
    [index] = rows(
        cypher, "SHOW VECTOR INDEXES YIELD name, options WHERE name = 'item_embedding' RETURN *"
    )
    assert index["options"]["indexConfig"]["vector.dimensions"] == 16
    nearest = graph.explore("similar_by_vector", item_id="serum", limit=3)
    assert [r["item_id"] for r in nearest] == ["cream"]


def test_every_reason_is_a_path_of_neo4j(service_on_neo4j: Service, cypher: neo4j.Driver) -> None:
    checked = 0
    for user in USERS:
        for explore in (0.0, 0.5):
            answer = ok(service_on_neo4j, RECS, user=user, k=6, explore=explore)
            for item in answer["recommendations"]["items"]:
                for reason in item["reasons"]:
                    path = reason["path"]
                    reaches = path["nodes"][-1]["id"] == item["item"]["id"]
                    # the model's own reason is the shopper's event ("Because you bought X")
                    assert reaches or not path["relationships"] or reason["kind"] == "BECAUSE"
                    if path["relationships"]:
                        assert match_path(cypher, path) >= 1, (user, reason)
                        checked += 1
    assert checked >= 10


def test_writes_through_the_api_land_in_neo4j(
    service_on_neo4j: Service, cypher: neo4j.Driver
) -> None:
    service = service_on_neo4j
    ok(
        service,
        'mutation { recordInteraction(input: {userId: "erin", itemId: "serum", kind: "purchase",'
        " ts: 1000}) { recorded } }",
        authorized=True,
    )
    assert rows(
        cypher,
        "MATCH (:User {id: 'erin'})-[r:INTERACTED]->(i:Item) RETURN i.id AS item, r.kind AS kind,"
        " r.ts AS ts",
    ) == [{"item": "serum", "kind": "purchase", "ts": 1000}]
    ok(
        service,
        'mutation { upsertItem(input: {id: "toner", price: 9.5}) { created } }',
        authorized=True,
    )
    assert rows(cypher, "MATCH (i:Item {id: 'toner'}) RETURN i.price AS p, i.title AS t") == [
        {"p": 9.5, "t": "Rose Toner"}  # a partial update keeps what it does not name
    ]
    ok(
        service,
        'mutation { putRule(input: {id: "pin-brush", action: PIN, itemId: "brush"}) { id } }',
        authorized=True,
    )
    assert rows(cypher, "MATCH (r:Rule) RETURN r.id AS id, r.action AS action") == [
        {"id": "pin-brush", "action": "pin"}
    ]
    ok(service, 'mutation { forgetUser(userId: "carol") { deleted } }', authorized=True)
    assert rows(cypher, "MATCH (u:User {id: 'carol'}) RETURN u") == []
    assert rows(cypher, "MATCH ()-[r:INTERACTED]->() WHERE r.user_id = 'carol' RETURN r") == []
    assert rows(cypher, "MATCH (u:User) RETURN count(u) AS n") == [{"n": 4}]  # a b d erin


@pytest.fixture
def service_on_neo4j(graph: GraphStore, shop_artifact: Path, tmp_path: Path) -> Service:
    from graphrec.graph.derive import bought_with_edges
    from graphrec.graph.snapshot import export_snapshot
    from tests.graphs import served_config, shop_batch

    graph.write(shop_batch())
    graph.replace_bought_with(bought_with_edges(export_snapshot(graph), ["view", "click"], 50, 2))
    config = served_config()
    return Service.open(graph, shop_artifact, config=config, log_dir=tmp_path / "log")
