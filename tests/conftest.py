from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphrec.config import get_settings
from graphrec.store import GraphStore, open_store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
#: ``ladybug-bulk``: the embedded store with every write taking its bulk path (whole-table
#: reads and COPY), which only writes of more than 10,000 rows take otherwise.
BACKENDS = ["ladybug", "ladybug-bulk", "neo4j"]
#: What the test run itself is told (where Neo4j is, what must not be skipped, where
#: screenshots go), as opposed to graphrec settings, which every test starts without.
KEPT = ("GRAPHREC_NEO4J_", "GRAPHREC_REQUIRE_", "GRAPHREC_SCREENSHOTS")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test sees default settings with its own data folder, whatever the shell has set."""
    for name in list(os.environ):
        if name.startswith("GRAPHREC_") and not name.startswith(KEPT):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRAPHREC_DATA_DIR", str(tmp_path / "graphrec"))
    monkeypatch.setenv("GRAPHREC_LADYBUG_BUFFER_POOL_MB", "128")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    port: int
    output: str = ""  # what the server printed, once it has stopped
    pid: int = 0


@contextmanager
def graphrec_serve(
    *args: str, in_a_row: int = 1, timeout: float = 180, file_size_limit: int | None = None
) -> Iterator[Served]:
    """``graphrec serve --port P ARGS`` as an operator starts it (a process, this environment),
    once ``/ready`` answered 200 ``in_a_row`` times, each on a new connection (with several
    workers, any of them takes it); stopped on leaving, its output then in ``output``.
    ``file_size_limit``: no file the server writes may grow past these bytes (a full disk, as
    the process sees it: a write past it fails; ``resource.prlimit`` lifts it)."""
    served = Served(free_port())
    graphrec = Path(sys.executable).parent / "graphrec"
    server = subprocess.Popen(
        [str(graphrec), "serve", "--port", str(served.port), *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served.pid = server.pid
    if file_size_limit is not None:  # set at once, long before the server writes anything
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (file_size_limit, -1))
    try:
        deadline, ready = time.time() + timeout, 0
        while ready < in_a_row:
            assert server.poll() is None, server.communicate()[0]
            assert time.time() < deadline, f"graphrec serve was not ready within {timeout:.0f} s"
            try:
                url = f"http://127.0.0.1:{served.port}/ready"
                with urllib.request.urlopen(url, timeout=5) as answer:
                    ready = ready + 1 if answer.status == 200 else 0
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                ready = 0
                time.sleep(0.2)
        yield served
    finally:
        server.terminate()
        served.output = server.communicate(timeout=30)[0]


def neo4j_uri() -> str:
    """The test Neo4j (``tools/neo4j/neo4j.sh start``); its tests skip without one, and fail
    instead when GRAPHREC_REQUIRE_NEO4J is set, as .ci/run sets it."""
    uri = os.environ.get("GRAPHREC_NEO4J_URI")
    if not uri:
        if os.environ.get("GRAPHREC_REQUIRE_NEO4J"):
            pytest.fail("GRAPHREC_REQUIRE_NEO4J is set but GRAPHREC_NEO4J_URI is not")
        pytest.skip("GRAPHREC_NEO4J_URI is not set (start one: tools/neo4j/neo4j.sh start)")
    return uri


def open_backend(backend: str, tmp_path: Path) -> GraphStore:
    if backend == "ladybug":
        return open_store(str(tmp_path / "store"))
    uri = neo4j_uri()
    store = open_store(uri)  # credentials: GRAPHREC_NEO4J_USER / GRAPHREC_NEO4J_PASSWORD
    store.clear()  # the suite owns the database it is pointed at
    return store


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphStore]:
    """An empty store of every backend; the behaviour suite runs once per backend."""
    if request.param == "ladybug-bulk":
        import graphrec.store.ladybug as ladybug

        monkeypatch.setattr(ladybug, "SMALL_WRITE", 0)
        monkeypatch.setattr(ladybug, "LIST_ROWS", -1)
    opened = open_backend(request.param.removesuffix("-bulk"), tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    """An empty embedded store, for tests that are about something other than the backend."""
    opened = open_store(str(tmp_path / "embedded"))
    yield opened
    opened.close()


def shared_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


@pytest.fixture
def shop_artifact(trained_shop: Path, tmp_path: Path) -> Path:
    """The trained shop's model version, copied into this test's own models folder: a privacy
    delete rewrites the versions beside the one served, and no test sees another's."""
    import shutil

    return Path(shutil.copytree(trained_shop, tmp_path / "models" / trained_shop.name))


@pytest.fixture(scope="session")
def trained_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small LightGCN trained on the known shop (tests/graphs.py), once per session."""
    from graphrec.graph.snapshot import export_snapshot
    from graphrec.training.train import train
    from tests.graphs import shop_batch

    folder = tmp_path_factory.mktemp("artifact")
    store = open_store(str(folder / "store"))
    try:
        store.write(shop_batch())
        snapshot = export_snapshot(store)
    finally:
        store.close()
    params = {"embedding_dim": 8, "epochs": 5, "device": "cpu", "batch_size": 4}
    return train(snapshot, "lightgcn", params, folder / "models", split_kind="temporal")
