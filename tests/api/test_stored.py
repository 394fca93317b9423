"""What serving computes ahead on the known shop: every shopper's stored candidates, and the
arrays that processes on one machine share.

The shop: alice bought serum and cream and viewed lipstick; bob bought serum and cream and put
toner (out of stock) in his cart; carol bought serum and toner and rated mascara; dave bought
lipstick and mascara. BOUGHT_WITH (intent kinds, >= 2 shoppers): serum-cream 2, serum-toner 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphrec.serving.event_writes import EventInput
from graphrec.serving.options import RecFilter
from graphrec.serving.service import ItemInput, Service
from graphrec.store.base import GraphStore
from tests.api.helpers import USERS, ids, recs
from tests.graphs import served_config


def test_precomputed_candidates_give_the_same_answers(service: Service) -> None:
    engine = service.engine
    assert (
        engine.stored.stored is not None and engine.stored.stored.valid.sum() == 4
    )  # the four shoppers

    def answers() -> list[Any]:
        out = []
        for user in ("alice", "bob", "carol", "dave"):
            for k, flt in ((3, None), (5, RecFilter(in_stock_only=False)), (2, RecFilter())):
                answer = engine.recommend(user, k, flt, explore=0.0)
                out.append([(r.item.id, r.score) for r in answer.items])
        return out

    with_pools = answers()
    assert all(
        engine.stored.of(engine.live.user(u), engine.candidate_stamp()) is not None
        for u in ("alice", "dave")
    )
    engine.stored.stored = None
    without = answers()
    # the same items in the same order; the scores agree to float32 rounding (the stored ones
    # come from one batched product, the others from one product per request)
    assert [[i for i, _ in a] for a in without] == [[i for i, _ in a] for a in with_pools]
    for plain, stored in zip(without, with_pools, strict=True):
        assert [s for _, s in plain] == pytest.approx([s for _, s in stored], rel=1e-6, abs=1e-6)
    engine.precompute_candidates()
    service.record([EventInput(user_id="dave", item_id="serum", kind="view")])
    assert (
        engine.stored.of(engine.live.user("dave"), engine.candidate_stamp()) is None
    )  # his next event retires it
    assert engine.stored.of(engine.live.user("alice"), engine.candidate_stamp()) is not None
    service.upsert_item(ItemInput(id="mascara", title="Long Mascara", in_stock=False))
    alice = [r.item.id for r in engine.recommend("alice", 5, explore=0.0).items]
    assert (
        engine.stored.of(engine.live.user("alice"), engine.candidate_stamp()) is not None
    )  # stock: filtered per request
    assert "mascara" not in alice
    engine.stored.stored = None
    assert [r.item.id for r in engine.recommend("alice", 5, explore=0.0).items] == alice
    engine.precompute_candidates()
    service.upsert_item(ItemInput(id="gloss", title="Lip Gloss"))
    assert (
        engine.stored.of(engine.live.user("alice"), engine.candidate_stamp()) is None
    )  # a new item: all retire


def _stored(engine: Any) -> Any:
    assert engine.stored.stored is not None
    return engine.stored.stored


def test_a_new_item_joins_the_precomputed_candidates(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new item is scored for every stored shopper and enters the candidates it beats, so
    the stored ones stay in use; the answers are those of shoppers without stored ones."""
    import graphrec.serving.shoppers as shoppers_module

    monkeypatch.setattr(shoppers_module, "MARGIN", 1)  # as imported where they are stored
    engine = service.engine
    engine.config.candidates = 3
    engine.precompute_candidates()
    assert (
        engine.stored.stored is not None
        and engine.stored.stored.ranked.shape[1] == 4 < engine.live.num_items
    )
    service.upsert_item(
        ItemInput(id="gloss", title="Lip Gloss", brand_id="rouge", categories=(("Lips", None),))
    )
    gloss = engine.item_index("gloss")
    incremental = _stored(engine)
    assert (incremental.ranked == gloss).any()
    assert engine.stored.of(engine.live.user("alice"), engine.candidate_stamp()) is not None

    def answers() -> list[list[str]]:
        return [
            [r.item.id for r in engine.recommend(user, 1, flt, explore=0.0).items]
            for user in USERS
            for flt in (None, RecFilter(in_stock_only=False))
        ]

    stored = answers()
    assert ["gloss"] in stored
    engine.stored.stored = None
    assert answers() == stored
    # the same candidates in the same order as ranking everything afresh
    kept = incremental.ranked.copy(), incremental.scores.copy()
    engine.precompute_candidates()
    fresh = _stored(engine)
    assert (kept[0][fresh.valid] == fresh.ranked[fresh.valid]).all()
    assert kept[1][fresh.valid] == pytest.approx(fresh.scores[fresh.valid], rel=1e-6, abs=1e-6)


def mapped(array: Any) -> bool:
    """Whether the array's memory is a mapped file."""
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = getattr(array, "base", None)
    return False


def test_services_on_one_machine_share_what_they_derive(
    store: GraphStore, shop_artifact: Path, tmp_path: Path
) -> None:
    """A second process from the same data maps the first's arrays (vectors, stored
    candidates, the co-interaction evidence) and answers as a process that made its own."""
    config = served_config()
    cache = tmp_path / "cache"
    own = Service.open(store, shop_artifact, config=config)
    first = Service.open(store, shop_artifact, config=config, cache_dir=cache)
    second = Service.open(store, shop_artifact, config=config, cache_dir=cache)
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2  # the model's, the data's
    assert not mapped(own.engine.vectors) and not mapped(own.engine.live.links().data)
    for service in (first, second):
        assert mapped(service.engine.vectors) and mapped(service.engine.unit)
        assert np.array_equal(service.engine.vectors, own.engine.vectors)
        live = service.engine.live
        assert mapped(live.links().data) and mapped(live.co_counts.indices)
        assert (live.links() != own.engine.live.links()).nnz == 0
        assert np.array_equal(live.lowest_common(), own.engine.live.lowest_common())
        stored = service.engine.stored.stored
        assert stored is not None and np.array_equal(stored.ranked, own.engine.stored.stored.ranked)  # type: ignore[union-attr]
    for user in USERS:
        assert ids(recs(second, user)) == ids(recs(own, user))
    # a new item in one process is its own: the other's shared arrays are unchanged
    second.upsert_item(ItemInput(id="gloss", title="Lip Gloss"))
    assert first.engine.vectors.shape[0] == own.engine.vectors.shape[0]
