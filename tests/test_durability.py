"""An acknowledged event is never lost: events recorded by concurrent clients in a tight loop,
the server killed with SIGKILL in the middle, then started again: every acknowledged event is
in the store and in the restarted server's answers."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from graphrec.api.operations import Operations
from graphrec.cli import app
from graphrec.config import get_settings
from graphrec.store import open_store
from tests.api.test_running import shop
from tests.conftest import graphrec_serve

KEY = "durability-key"


def post(port: int, body: dict, timeout: float = 10) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": KEY},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return dict(json.loads(answer.read()))


def test_every_acknowledged_event_survives_a_kill(tmp_path: Path, monkeypatch: object) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["load", "movielens", str(shop(tmp_path / "ml"))]).exit_code == 0
    assert runner.invoke(app, ["train", "--model", "gfcf"]).exit_code == 0
    monkeypatch.setenv("GRAPHREC_API_KEY", KEY)  # the servers inherit it
    record = Operations.load()["RecordInteraction"].text
    acknowledged: list[tuple[str, str, int]] = []
    stop = threading.Event()

    def client(number: int) -> None:
        n = 0
        while not stop.is_set():
            event = (f"c{number}-{n}", str(n % 30 + 1), 5_000 + n)
            variables = {
                "input": {"userId": event[0], "itemId": event[1], "kind": "view", "ts": event[2]}
            }
            try:
                answer = post(port, {"query": record, "variables": variables})
            except (OSError, urllib.error.URLError):
                return  # the server is gone
            if answer.get("data"):
                acknowledged.append(event)
            n += 1

    try:
        with graphrec_serve() as served:
            port = served.port
            clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
            for thread in clients:
                thread.start()
            deadline = time.time() + 30
            while len(acknowledged) < 200 and time.time() < deadline:
                time.sleep(0.05)
            os.kill(served.pid, signal.SIGKILL)  # while the clients are still sending
            for thread in clients:
                thread.join(30)
    finally:
        stop.set()
    assert len(acknowledged) >= 200
    store = open_store(str(get_settings().data_dir / "store"), read_only=True)
    try:
        stored = {
            (row["user_id"], row["item_id"], row["ts"])
            for batch in store.stream("interactions")
            for row in batch.to_pylist()
        }
    finally:
        store.close()
    assert [e for e in acknowledged if e not in stored] == []
    with graphrec_serve() as served:
        for user, item, ts in acknowledged[:: max(1, len(acknowledged) // 50)]:
            query = f'{{ user(id: "{user}") {{ history {{ item {{ id }} ts }} }} }}'
            history = post(served.port, {"query": query})["data"]["user"]["history"]
            assert {"item": {"id": item}, "ts": ts} in history, user
