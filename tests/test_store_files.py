"""The embedded store's files fail under a running server: the disk fills up, the files are
moved away. No acknowledged event is lost, writes fail at once with a typed error (never a
hang, never a crash), reads go on from memory, ``/ready`` says what is wrong, the server
recovers by itself when the fault goes, and the store opens after a kill."""

from __future__ import annotations

import json
import os
import resource
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.config import get_settings
from graphrec.store import open_store
from tests.api.test_running import shop
from tests.conftest import graphrec_serve

KEY = "files-key"
RECORD = "mutation R($e: [InteractionInput!]!) { recordInteractions(inputs: $e) { recorded } }"
RECS = '{ recommendations(userId: "1", k: 3) { degraded items { item { id } } } }'


def post(port: int, query: str, **variables: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "x-api-key": KEY},
    )
    with urllib.request.urlopen(request, timeout=20) as answer:
        return dict(json.loads(answer.read()))


def ready(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Recorder:
    """Sends batches of new events; keeps those acknowledged."""

    def __init__(self, port: int) -> None:
        self.port, self.acknowledged, self.sent = port, [], 0

    def batch(self, size: int = 200) -> dict[str, Any]:
        events = [
            {"userId": f"f{self.sent + n}", "itemId": str(n % 30 + 1), "kind": "view", "ts": 9_000}
            for n in range(size)
        ]
        self.sent += size
        started = time.time()
        answer = post(self.port, RECORD, e=events)
        assert time.time() - started < 10, "a write hung"
        if answer.get("data"):
            self.acknowledged += [(e["userId"], e["itemId"]) for e in events]
        return answer


def stored(store: Path) -> set[tuple[str, str]]:
    graph = open_store(str(store), read_only=True)
    try:
        return {
            (row["user_id"], row["item_id"])
            for batch in graph.stream("interactions")
            for row in batch.to_pylist()
        }
    finally:
        graph.close()


@pytest.fixture
def trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    runner = CliRunner()
    assert runner.invoke(app, ["load", "movielens", str(shop(tmp_path / "ml"))]).exit_code == 0
    assert runner.invoke(app, ["train", "--model", "gfcf"]).exit_code == 0
    monkeypatch.setenv("GRAPHREC_API_KEY", KEY)
    return get_settings().data_dir / "store"


def fill(recorder: Recorder) -> dict[str, Any]:
    """Record until a write is refused; its answer."""
    for _ in range(100):
        answer = recorder.batch()
        if "errors" in answer:
            return answer
    raise AssertionError("the disk never filled")


def test_an_almost_full_disk_refuses_writes_until_there_is_room(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHREC_LADYBUG_MIN_FREE_MB", "1")
    # checkpoints small enough for the 1 MB floor (a checkpoint grows the store file)
    monkeypatch.setenv("GRAPHREC_LADYBUG_CHECKPOINT_KB", "64")
    limit = trained.stat().st_size + 2 * 1024 * 1024  # no file may grow past it: 2 MB of room
    with graphrec_serve(file_size_limit=limit) as served:
        recorder = Recorder(served.port)
        answer = fill(recorder)
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", answer
        assert "almost full" in answer["errors"][0]["message"]
        assert len(recorder.acknowledged) >= 200
        status, body = ready(served.port)
        assert status == 503 and "almost full" in body["store"], body
        answer = post(served.port, RECS)["data"]["recommendations"]
        assert answer["items"] and answer["degraded"] is True  # reads go on
        resource.prlimit(served.pid, resource.RLIMIT_FSIZE, (-1, -1))  # room again
        assert ready(served.port)[0] == 200
        assert "errors" not in recorder.batch()  # by itself, without a restart
        os.kill(served.pid, signal.SIGKILL)
    kept = stored(trained)
    assert [e for e in recorder.acknowledged if e not in kept] == []


def test_a_write_that_meets_a_full_disk_loses_nothing_acknowledged(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No room kept (GRAPHREC_LADYBUG_MIN_FREE_MB=0): LadybugDB itself meets the full disk,
    in the middle of writing its log."""
    monkeypatch.setenv("GRAPHREC_LADYBUG_MIN_FREE_MB", "0")
    monkeypatch.setenv("GRAPHREC_LADYBUG_CHECKPOINT_KB", "16384")  # the log fills, not a checkpoint
    limit = trained.stat().st_size + 256 * 1024
    with graphrec_serve(file_size_limit=limit) as served:
        recorder = Recorder(served.port)
        answer = fill(recorder)
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", answer
        assert "disk" in answer["errors"][0]["message"]
        status, body = ready(served.port)
        assert status == 503 and "restarted" in body["store"], body
        for _ in range(3):  # refused at once, every time: no hang, no crash
            assert "errors" in recorder.batch(1)
        assert post(served.port, RECS)["data"]["recommendations"]["items"]
        os.kill(served.pid, signal.SIGKILL)  # the disk still full: the torn log stays
    assert "Traceback" not in served.output, served.output
    kept = stored(trained)
    missing = [e for e in recorder.acknowledged if e not in kept]
    assert missing == [] and len(recorder.acknowledged) >= 200
    with graphrec_serve() as served:  # it opens, and the events are in its answers
        recorder.port = served.port
        query = '{ user(id: "f0") { history { item { id } } } }'
        assert post(served.port, query)["data"]["user"]["history"] == [{"item": {"id": "1"}}]
        assert "errors" not in recorder.batch()
    assert list(trained.parent.glob("store.wal.damaged-*"))  # the torn log, kept aside
    assert "torn record" in served.output


def test_a_checkpoint_that_meets_a_full_disk_loses_nothing_and_recovers_by_itself(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No room kept and small checkpoints: the store file, growing as the log is folded into
    it, meets the limit. The commit is durable (its log is written), later writes wait for
    room, and go on by themselves once there is some."""
    monkeypatch.setenv("GRAPHREC_LADYBUG_MIN_FREE_MB", "0")
    monkeypatch.setenv("GRAPHREC_LADYBUG_CHECKPOINT_KB", "64")
    limit = trained.stat().st_size + 256 * 1024
    with graphrec_serve(file_size_limit=limit) as served:
        recorder = Recorder(served.port)
        answer = fill(recorder)
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", answer
        assert "checkpoint failed" in answer["errors"][0]["message"]  # its commit was kept
        assert ready(served.port)[0] == 503
        assert post(served.port, RECS)["data"]["recommendations"]["items"]  # reads go on
        resource.prlimit(served.pid, resource.RLIMIT_FSIZE, (-1, -1))  # room again
        time.sleep(1.5)  # the next attempt to open it again
        assert "errors" not in recorder.batch(50), "writes did not resume by themselves"
        assert ready(served.port)[0] == 200
        os.kill(served.pid, signal.SIGKILL)
    assert "Traceback" not in served.output, served.output
    kept = stored(trained)
    assert [e for e in recorder.acknowledged if e not in kept] == []


def test_a_store_moved_away_fails_writes_until_it_is_back(trained: Path) -> None:
    with graphrec_serve() as served:
        recorder = Recorder(served.port)
        assert "errors" not in recorder.batch(50)
        moved = trained.with_name("store-moved")
        trained.rename(moved)
        status, body = ready(served.port)
        assert status == 503 and "moved or removed" in body["store"], body
        answer = recorder.batch(1)
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
        assert post(served.port, RECS)["data"]["recommendations"]["items"]
        assert not trained.exists()  # nothing was written at the old path
        moved.rename(trained)
        assert ready(served.port)[0] == 200
        assert "errors" not in recorder.batch(50)
        os.kill(served.pid, signal.SIGKILL)
    kept = stored(trained)
    assert [e for e in recorder.acknowledged if e not in kept] == []
    assert len(recorder.acknowledged) == 100
