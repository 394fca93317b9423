"""The server as ``graphrec serve`` assembles it (graphrec.api.server.build)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.api.server import ServeOptions, build
from graphrec.config import get_settings
from graphrec.store import open_store
from tests.graphs import shop_batch


@pytest.mark.parametrize(("workers", "mb"), [(1, 8), (2, 4)])
def test_the_answer_cache_is_reserved_after_the_warm_up_and_split_between_workers(
    tmp_path: Path, shop_artifact: Path, monkeypatch: pytest.MonkeyPatch, workers: int, mb: int
) -> None:
    monkeypatch.setenv("GRAPHREC_ANSWER_CACHE_MB", "8")
    get_settings.cache_clear()
    path = str(tmp_path / "store")
    store = open_store(path)
    store.write(shop_batch())
    store.close()
    app = build(ServeOptions(store=path, artifact=str(shop_artifact), workers=workers))
    try:
        assert app.fast is not None
        assert len(app.fast.answers.ring) == mb * 2**20  # reserved, its pages touched
        assert len(app.fast.answers) == 0  # the warm-up's answers are not kept
        # what the service derived from the model and the data is shared through the cache
        cache = get_settings().data_dir / "cache" / "serving"
        assert len([p for p in cache.iterdir() if p.is_dir()]) == 1
    finally:
        app.service.store.close()
