"""The embedded store keeps room on the disk: below it, writes are refused with the reason
and change nothing, reads go on, and ``problem()`` (what ``/ready`` shows) says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.errors import StoreError, StoreUnavailable
from graphrec.store import GraphBatch
from graphrec.store.ladybug import LadybugStore
from tests.graphs import interactions_table, shop_batch


def test_writes_are_refused_while_the_disk_is_almost_full(tmp_path: Path) -> None:
    LadybugStore(tmp_path / "store", buffer_pool_mb=64).close()  # made with the default room
    # more room asked for than any disk here has: the disk is "almost full"
    store = LadybugStore(tmp_path / "store", buffer_pool_mb=64, min_free_mb=2**40)
    try:
        with pytest.raises(StoreUnavailable, match=r"almost full: [\d.]+ MB free"):
            store.write(shop_batch())
        assert store.counts().nodes["Item"] == 0  # nothing written; reads answer
        problem = store.problem()
        assert problem is not None and "GRAPHREC_LADYBUG_MIN_FREE_MB" in problem
    finally:
        store.close()
    store = LadybugStore(tmp_path / "store", buffer_pool_mb=64, min_free_mb=0)
    try:
        store.write(shop_batch())
        assert store.counts().nodes["Item"] > 0 and store.problem() is None
    finally:
        store.close()


def test_a_store_file_moved_away_is_not_written_at_its_old_path(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path / "store", buffer_pool_mb=64)
    try:
        (tmp_path / "store").rename(tmp_path / "elsewhere")
        with pytest.raises(StoreUnavailable, match="moved or removed"):
            store.write(shop_batch())
        assert "moved or removed" in (store.problem() or "")
        assert not (tmp_path / "store").exists()
        (tmp_path / "elsewhere").rename(tmp_path / "store")
        store.write(shop_batch())
        assert store.problem() is None
    finally:
        store.close()


def test_a_failed_statement_is_the_error_raised_not_the_rollback(tmp_path: Path) -> None:
    """LadybugDB ends a transaction itself when a statement in it fails; the error raised is
    that statement's, and the store goes on."""
    store = LadybugStore(tmp_path / "store", buffer_pool_mb=64)
    try:
        with pytest.raises(StoreError, match="Divide by zero"):
            store._in_transaction(lambda: store._execute("RETURN 1 / 0"))
        store.write(shop_batch())
        assert store.counts().nodes["Item"] > 0
    finally:
        store.close()


def wal_bytes(store_file: Path) -> int:
    wal = store_file.with_name(store_file.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize(("checkpoint_kb", "folded"), [(64, True), (16384, False)])
def test_the_log_is_folded_into_the_store_at_its_threshold(
    tmp_path: Path, checkpoint_kb: int, folded: bool
) -> None:
    """LadybugDB keeps memory for each transaction until a checkpoint (a serving process that
    commits events one by one filled a 128 MB buffer pool after 6,850 of them): the log's size
    that starts one is a setting, and a small one keeps the log, and that memory, small."""
    store = LadybugStore(tmp_path / "store", buffer_pool_mb=64, checkpoint_kb=checkpoint_kb)
    try:
        store.write(shop_batch())
        largest = 0
        for n in range(300):
            event = [("alice", "toner", "view", 1.0, None, 1000 + n)]
            store.write(GraphBatch(interactions=interactions_table(event)))
            largest = max(largest, wal_bytes(tmp_path / "store"))
        assert store.counts().relationships["INTERACTED"] == 11 + 300
        assert (largest <= 96 * 1024) == folded, largest
    finally:
        store.close()
