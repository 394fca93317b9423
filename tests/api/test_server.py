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
        assert len([p for p in cache.iterdir() if p.is_dir()]) == 2  # the model's, the data's
    finally:
        app.service.store.close()


@pytest.mark.parametrize("model", ["lightgcn", "sage"])
def test_a_replaced_engine_is_freed_without_the_garbage_collector(
    tmp_path: Path, shop_artifact: Path, model: str
) -> None:
    """The server freezes what it loads out of the cyclic collector's way and never runs a
    full collection: a replaced engine must hold no reference cycle, or it would stay."""
    import gc
    import weakref

    from graphrec.serving.service import Service
    from graphrec.training.train import train
    from tests.models.test_sage import SAGE

    store = open_store(str(tmp_path / "store"))
    store.write(shop_batch())
    artifact = shop_artifact
    if model == "sage":
        from graphrec.graph.snapshot import export_snapshot

        artifact = train(export_snapshot(store), "sage", SAGE, tmp_path / "models", "temporal")
    service = Service.open(store, artifact)
    gc.collect()
    gc.disable()
    try:
        engine = service.engine
        parts = [weakref.ref(x) for x in (engine, engine.live, engine.explainer, engine.stored)]
        del engine
        service.reload()
        assert [part() for part in parts] == [None] * len(parts)
    finally:
        gc.enable()
        store.close()


def test_a_background_rebuild_takes_short_turns_with_the_answers(
    tmp_path: Path, shop_artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from graphrec.serving.follow import REBUILD_SWITCH_SECONDS
    from graphrec.serving.service import Service

    store = open_store(str(tmp_path / "store"))
    store.write(shop_batch())
    service = Service.open(store, shop_artifact)
    seen: list[float] = []
    monkeypatch.setattr(
        service.follower, "_rebuild_once", lambda version: seen.append(sys.getswitchinterval())
    )
    before = sys.getswitchinterval()
    service.follower.rebuild(None, "a test")
    assert service.follower.idle(30)
    assert seen == [REBUILD_SWITCH_SECONDS] and sys.getswitchinterval() == before
    store.close()
