"""While graphrec serve holds the embedded store (its one writer), the commands that write to
it go through the server, and those that read open it beside it: never a lock error."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from graphrec.api.running import note_of, server_of
from graphrec.cli import app
from graphrec.config import get_settings
from tests.conftest import graphrec_serve

runner = CliRunner()


def shop(folder: Path) -> Path:
    """A MovieLens-shaped shop of 40 shoppers and 30 items."""
    root = folder / "ml-100k"
    root.mkdir(parents=True)
    (root / "u.genre").write_text("unknown|0\nAction|1\nComedy|2\n")
    (root / "u.item").write_text(
        "".join(
            f"{i}|Movie {i} (1995)|01-Jan-1995||http://x|0|{i % 2}|{(i + 1) % 2}\n"
            for i in range(1, 31)
        )
    )
    (root / "u.data").write_text(
        "".join(
            f"{u}\t{(u * 7 + j) % 30 + 1}\t4\t{1000 + j}\n" for u in range(1, 41) for j in range(6)
        )
    )
    return folder


def version_served(port: int) -> str:
    query = '{ recommendations(userId: "1", k: 2) { modelVersion } }'
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(json.loads(answer.read())["data"]["recommendations"]["modelVersion"])


def user_history(port: int, user: str, key: str) -> object:
    """A shopper's history (personal data: asked with the admin key, or the operator token
    that stands for it)."""
    query = f'{{ user(id: "{user}") {{ history {{ kind }} }} }}'
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json", "x-api-key": key},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["data"]["user"]


def switched(port: int, version: str, seconds: float = 60) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if version_served(port) == version:
            return True
        time.sleep(0.2)
    return False


def invoke(*args: str) -> str:
    done = runner.invoke(app, list(args))
    assert done.exit_code == 0, (args, done.output)
    return done.output


def test_commands_beside_a_running_server(tmp_path: Path) -> None:
    """As set up by default: no API key, so the server takes mutations only from those who can
    read its note (the token in it)."""
    invoke("load", "movielens", str(shop(tmp_path / "ml")))
    first = invoke("train", "--model", "gfcf").split("artifact: ")[1].split()[0]
    time.sleep(1.1)  # versions are named to the second
    second = invoke("train", "--model", "gfcf").split("artifact: ")[1].split()[0]
    store = get_settings().data_dir / "store"
    with graphrec_serve() as served:
        running = server_of(store)
        assert running is not None and running.url == f"http://127.0.0.1:{served.port}/graphql"
        assert note_of(store).stat().st_mode & 0o777 == 0o600  # its owner's alone
        assert version_served(served.port) == Path(second).name  # the newest
        out = invoke("models", "activate", Path(first).name)
        assert "asking it" in out and f"active: {Path(first).name}" in out
        assert switched(served.port, Path(first).name)
        assert f"active: {Path(second).name}" in invoke("models", "rollback")
        assert switched(served.port, Path(second).name)
        assert "BOUGHT_WITH edges:" in invoke("derive")
        trained = invoke("train", "--model", "gfcf")
        assert "asking it" in trained and "written back: 30 item embeddings" in trained
        stats = json.loads(invoke("stats", "--json"))  # read beside the server
        assert stats["relationships"]["SIMILAR_TO"] > 0
        assert user_history(served.port, "1", running.token) is not None
        assert "deleted user '1'" in invoke("delete-user", "1")
        assert user_history(served.port, "1", running.token) is None  # forgotten by it too
        listed = invoke("models", "list")
        assert Path(second).name[:20] in listed
        # a mutation without the token (or a key) is refused
        request = urllib.request.Request(
            running.url,
            data=json.dumps({"query": "mutation { deriveBoughtWith { edges } }"}).encode(),
            headers={"content-type": "application/json", "x-api-key": "guess"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            refused = json.loads(answer.read())
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    assert not note_of(store).exists(), served.output  # the server took its note away
    # the refusal is logged in one line, without a traceback
    assert "client error: this needs the admin key (GRAPHREC_API_KEY)" in served.output
    assert "Traceback" not in served.output
    assert server_of(store) is None
