"""What the reliability scripts share: a copy of an embedded store, ``graphrec serve`` on it,
the server's memory, percentiles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "serve"))

from load import wait_ready  # noqa: E402


def copy_store(store: Path, folder: Path) -> Path:
    """The embedded store (its file and write-ahead log) copied into ``folder``."""
    copy = folder / "store"
    shutil.copy(store, copy)
    wal = store.with_name(store.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name("store.wal"))
    return copy


def shoppers_and_items(store: Path) -> tuple[list[str], list[str]]:
    """The ids of an embedded store's users and items, sorted (opened read-only)."""
    from graphrec.store import open_store

    graph = open_store(str(store), read_only=True)
    try:
        shoppers = sorted(r["id"] for b in graph.stream("users") for r in b.to_pylist())
        items = sorted(r["id"] for b in graph.stream("items") for r in b.to_pylist())
    finally:
        graph.close()
    return shoppers, items


def serve(
    store: Path,
    artifact: Path,
    port: int,
    env: dict[str, str],
    output: IO[str] | int = subprocess.DEVNULL,
) -> subprocess.Popen:
    """``graphrec serve`` on ``store`` (its data folder beside it) with ``env`` added, once it
    answers ``/ready``."""
    command = [sys.executable, "-m", "graphrec.cli", "serve", "--artifact", str(artifact)]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env={
            **os.environ,
            "GRAPHREC_STORE": str(store),
            "GRAPHREC_DATA_DIR": str(store.parent),
            **env,
        },
        stdout=output,
        stderr=output,
    )
    wait_ready(port, server)
    return server


def rss_mb(pid: int) -> float:
    """A process's resident memory, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile_ms(seconds: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of durations in seconds, in ms (0 for none)."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0
