"""Arrays shared by the serving processes of one machine: made once, mapped by every process,
each process's changes its own."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from graphrec.serving.shared_arrays import KEEP, SharedArrays, fingerprint


def test_made_once_then_mapped_copy_on_write(tmp_path: Path) -> None:
    made: list[int] = []

    def make() -> dict[str, np.ndarray]:
        made.append(1)
        return {"vectors": np.arange(12, dtype=np.float32).reshape(4, 3), "valid": np.ones(4, bool)}

    first = SharedArrays(tmp_path).get("k1", make)
    second = SharedArrays(tmp_path).get("k1", make)  # another process, the same data
    assert made == [1]
    assert isinstance(second["vectors"], np.memmap) and second["vectors"].mode == "c"
    assert np.array_equal(first["vectors"], second["vectors"]) and second["valid"].all()
    second["vectors"][0] = -1.0  # this process's own change ...
    third = SharedArrays(tmp_path).get("k1", make)
    assert third["vectors"][0].tolist() == [0.0, 1.0, 2.0]  # ... is not the others'
    assert SharedArrays(None).get("k1", make) and made == [1, 1]  # no folder: made each time


def test_old_entries_give_way(tmp_path: Path) -> None:
    shared = SharedArrays(tmp_path)
    for n in range(KEEP + 2):
        shared.get(f"k{n}", lambda: {"a": np.zeros(2)})
        time.sleep(0.01)
    kept = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert kept == [f"k{n}" for n in range(2, KEEP + 2)]


def _make_slowly(folder: str, log: str) -> None:
    def make() -> dict[str, np.ndarray]:
        with open(log, "a") as out:
            out.write("made\n")
        time.sleep(0.5)
        return {"a": np.arange(5)}

    arrays = SharedArrays(Path(folder)).get("same", make)
    assert arrays["a"].tolist() == [0, 1, 2, 3, 4]


def test_processes_starting_together_make_it_once(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_make_slowly, args=(str(tmp_path / "cache"), str(log)))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert log.read_text() == "made\n"


def test_the_fingerprint_follows_the_data() -> None:
    table = pa.table({"user": [1, 2], "item": [3, 4]})
    same = pa.table({"user": [1, 2], "item": [3, 4]})
    other = pa.table({"user": [1, 2], "item": [3, 5]})
    assert fingerprint(["v1"], [table]) == fingerprint(["v1"], [same])
    assert fingerprint(["v1"], [table]) != fingerprint(["v1"], [other])
    assert fingerprint(["v1"], [table]) != fingerprint(["v2"], [table])
