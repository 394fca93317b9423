from __future__ import annotations

import os
from collections.abc import Iterator
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


def open_backend(backend: str, tmp_path: Path) -> GraphStore:
    if backend == "ladybug":
        return open_store(str(tmp_path / "store"))
    uri = os.environ.get("GRAPHREC_NEO4J_URI")
    if not uri:
        pytest.skip("GRAPHREC_NEO4J_URI is not set (no Neo4j server here)")
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
        monkeypatch.setattr(ladybug, "ROW_BY_ROW", -1)
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
