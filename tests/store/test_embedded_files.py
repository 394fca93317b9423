"""The embedded store keeps room on the disk: below it, writes are refused with the reason
and change nothing, reads go on, and ``problem()`` (what ``/ready`` shows) says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.errors import StoreUnavailable
from graphrec.store.ladybug import LadybugStore
from tests.graphs import shop_batch


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
