"""``graphrec serve --workers 2`` on Neo4j, as an operator runs it: the two worker processes
agree on an event written through either, and both switch when ``graphrec models activate``
names another version, without a failed request."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.config import get_settings
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from tests.conftest import graphrec_serve, neo4j_uri, open_backend
from tests.graphs import shop_batch

KEY = "workers-key"
RECS = "query($u: ID!) { recommendations(userId: $u, k: 6) { modelVersion items { item { id } } } }"


def ask(port: int, query: str, **variables: Any) -> Any:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        body,
        {"content-type": "application/json", "x-api-key": KEY, "connection": "close"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        data = json.loads(answer.read())
    assert "errors" not in data, data
    return data["data"]


@pytest.fixture
def served(
    shop_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[int, str, str]]:
    uri = neo4j_uri()
    graph = open_backend("neo4j", tmp_path)
    graph.write(shop_batch())
    graph.replace_bought_with(bought_with_edges(export_snapshot(graph), ["view"], 50, 2))
    graph.close()
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True)
    first, second = "lightgcn-1", "lightgcn-2"  # two versions of one model
    (models / first).symlink_to(shop_artifact, target_is_directory=True)
    (models / second).symlink_to(shop_artifact, target_is_directory=True)
    os.utime(models / second, (time.time() + 60, time.time() + 60), follow_symlinks=False)
    monkeypatch.setenv("GRAPHREC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRAPHREC_STORE", uri)
    monkeypatch.setenv("GRAPHREC_API_KEY", KEY)
    monkeypatch.setenv("GRAPHREC_CONTROL_SHARE", "0")
    monkeypatch.setenv("GRAPHREC_EXPLORE", "0")
    get_settings.cache_clear()
    runner = CliRunner()
    done = runner.invoke(app, ["models", "activate", first])
    assert done.exit_code == 0, done.output
    with graphrec_serve("--workers", "2", in_a_row=10, timeout=120) as server:
        yield server.port, first, second
    assert "with 2 workers" in server.output


def test_two_workers_agree_and_switch_models_together(served: tuple[int, str, str]) -> None:
    port, first, second = served
    answers = [ask(port, RECS, u="dave")["recommendations"] for _ in range(10)]
    assert {a["modelVersion"] for a in answers} == {first}
    assert all("serum" in [i["item"]["id"] for i in a["items"]] for a in answers)
    ask(
        port,
        'mutation { recordInteraction(input: {userId: "dave", itemId: "serum", '
        'kind: "purchase"}) { recorded } }',
    )
    for _ in range(20):  # each on a new connection: either worker
        items = ask(port, RECS, u="dave")["recommendations"]["items"]
        assert "serum" not in [i["item"]["id"] for i in items]

    done = CliRunner().invoke(app, ["models", "activate", second])
    assert done.exit_code == 0, done.output
    assert f"active: {second}" in done.output
    deadline, seen = time.time() + 60, []
    while time.time() < deadline:  # every request answered, by the old or the new version
        seen.append(ask(port, RECS, u="dave")["recommendations"]["modelVersion"])
        if seen[-10:] == [second] * 10:
            break
    assert seen[-10:] == [second] * 10, seen
    listed = CliRunner().invoke(app, ["models", "list"])
    assert f"* │ {second}" in listed.output or f"*  {second}" in listed.output, listed.output
