"""tools/neo4j/neo4j.sh says plainly what is wrong: no Java, a port taken, a short or wrong
password, a start that crashes. (Starting, stopping and keeping data across a restart are in
tests/test_neo4j_faults.py.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import neo4j_uri

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "neo4j" / "neo4j.sh"


def script(command: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "JAVA_HOME"))}
    base |= {"NEO4J_DATA": str(tmp_path / "neo4j"), "GRAPHREC_NEO4J_PASSWORD": "long-enough-1"}
    return subprocess.run(
        [str(SCRIPT), command], env=base | env, capture_output=True, text=True, timeout=180
    )


def test_usage_and_status_of_nothing(tmp_path: Path) -> None:
    assert script("frobnicate", tmp_path).returncode == 2
    status = script("status", tmp_path)
    assert status.returncode == 3 and "not running" in status.stderr
    stopped = script("stop", tmp_path)
    assert stopped.returncode == 0 and "not running" in stopped.stderr  # stop is idempotent


def test_no_java_is_named(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("bash", "dirname", "realpath", "awk", "readlink", "cat", "sed", "mkdir"):
        found = shutil.which(tool)
        if found:
            (bare / tool).symlink_to(found)
    done = script("start", tmp_path, PATH=str(bare))
    assert done.returncode == 1
    assert "no Java found" in done.stderr and "JAVA_HOME" in done.stderr


def test_password_missing_or_short(tmp_path: Path) -> None:
    missing = script("start", tmp_path, GRAPHREC_NEO4J_PASSWORD="")
    assert missing.returncode == 1 and "set GRAPHREC_NEO4J_PASSWORD" in missing.stderr
    short = script("start", tmp_path, GRAPHREC_NEO4J_PASSWORD="short")
    assert short.returncode == 1 and "5 characters long; Neo4j needs 8" in short.stderr


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    neo4j_uri()  # needs Java and Maven as the test Neo4j does
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = script("start", tmp_path, NEO4J_BOLT_PORT=str(port), NEO4J_HTTP_PORT="1")
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in done.stderr
    assert not (tmp_path / "neo4j" / "data").exists()  # nothing was started or written


def test_a_crashed_start_shows_the_log(tmp_path: Path) -> None:
    neo4j_uri()
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        ports = {
            "NEO4J_BOLT_PORT": str(a.getsockname()[1]),
            "NEO4J_HTTP_PORT": str(b.getsockname()[1]),
        }
    done = script("start", tmp_path, NEO4J_HEAP="8m", **ports)  # too small a heap to start
    assert done.returncode == 1
    assert "did not start" in done.stderr or "stopped while starting" in done.stderr
    assert "OutOfMemoryError" in done.stderr or "last lines" in done.stderr


def test_a_wrong_password_for_the_running_neo4j(tmp_path: Path) -> None:
    neo4j_uri()
    data = os.environ.get("NEO4J_DATA", str(Path.cwd() / ".graphrec" / "neo4j"))
    if not (Path(data) / "run" / "neo4j.pid").is_file():
        pytest.skip(f"the test Neo4j was not started by neo4j.sh with NEO4J_DATA={data}")
    ports = {k: os.environ[k] for k in ("NEO4J_BOLT_PORT", "NEO4J_HTTP_PORT") if k in os.environ}
    done = script(
        "start", tmp_path, NEO4J_DATA=data, GRAPHREC_NEO4J_PASSWORD="not-the-one", **ports
    )
    assert done.returncode == 1
    assert "refused GRAPHREC_NEO4J_PASSWORD" in done.stderr and data in done.stderr
