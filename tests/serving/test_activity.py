"""Popular and trending: what counts as interest, decay with time, and the counts made in
memory agreeing with those the store makes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from graphrec.graph.snapshot import export_snapshot
from graphrec.serving import activity as activity_module
from graphrec.serving.activity import DAY, NEVER, Activity, ActivitySettings
from graphrec.serving.events import Event
from graphrec.serving.live import LiveGraph
from graphrec.serving.service import Service
from graphrec.store import GraphBatch, GraphStore
from graphrec.store.base import empty_table
from tests.graphs import interactions_table, served_config, shop_batch

NOW = 2_000_000_000
DATA_CLOCK = ActivitySettings(clock="data")


def live_of(store: GraphStore, settings: ActivitySettings = DATA_CLOCK) -> LiveGraph:
    return LiveGraph(
        export_snapshot(store),
        empty_table("bought_with"),
        empty_table("similar_to"),
        activity=settings,
    )


def same(a: Activity, b: Activity) -> None:
    np.testing.assert_array_equal(a.shoppers, b.shoppers)
    np.testing.assert_array_equal(a.recent, b.recent)
    np.testing.assert_allclose(a.trend_score, b.trend_score, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.popular_score, b.popular_score, rtol=0, atol=1e-9)


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    store.write(shop_batch())
    return store


def test_memory_and_store_make_the_same_counts(shop: GraphStore) -> None:
    shop.write(
        GraphBatch(
            interactions=interactions_table(
                [
                    ("bob", "serum", "view", 1.0, None, 400),
                    ("dave", "serum", "not_interested", 0.0, None, 420),
                ]
            )
        )
    )
    live = live_of(shop, ActivitySettings(clock="data", window_days=200 / DAY))
    made = live.activity
    rows = shop.item_activity(**made.query_params())
    same(made, made.afresh(rows, live.item_index, live.num_items))
    serum = live.item_index["serum"]
    assert made.shoppers[serum] == 3  # alice, bob (twice), carol; not dave
    assert made.recent[serum] == 1  # since 220: bob at 400 (dave's is no interest)
    assert made.data_now == 420


def test_events_add_as_the_store_would_count_them(shop: GraphStore) -> None:
    live = live_of(shop)
    serum, brush = live.item_index["serum"], live.item_index["brush"]
    new = [
        ("erin", "brush", "view", 500),
        ("erin", "brush", "view", 510),  # the same shopper: still one
        ("erin", "brush", "view", 510),  # the same event again: counts nothing
        ("frank", "brush", "not_interested", 520),
        ("alice", "serum", "view", 530),
    ]
    for user, item, kind, ts in new:
        live.record(user, Event(live.item_index[item], kind, ts))
    shop.write(
        GraphBatch(
            users=pa.table({"id": ["erin", "frank"]}),
            interactions=interactions_table(
                [(u, i, k, 1.0, None, t) for u, i, k, t in dict.fromkeys(new)]
            ),
        )
    )
    assert live.activity.shoppers[brush] == 1 and live.activity.shoppers[serum] == 3
    assert live.item_shoppers(brush).tolist() == [live.user("erin")]  # not frank
    rows = shop.item_activity(**live.activity.query_params())
    same(live.activity, live.activity.afresh(rows, live.item_index, live.num_items))


def test_not_interested_never_raises_popularity_or_trending(shop: GraphStore) -> None:
    live = live_of(shop)
    brush = live.item_index["brush"]
    for n in range(5):
        live.record(f"tester-{n}", Event(brush, "not_interested", 1_000))
    activity = live.activity
    assert activity.shoppers[brush] == 0 and activity.recent[brush] == 0
    assert activity.trend_score[brush] == NEVER == activity.popular_score[brush]
    assert live.item_shoppers(brush).size == 0


def test_trending_weighs_recent_shoppers_over_many_old_ones(embedded: GraphStore) -> None:
    """Three shoppers today trend above 242 shoppers 208 days ago, on the wall clock; the
    count shown is of the last 7 days."""
    embedded.write(shop_batch())
    rows = [(f"old-{n}", "lipstick", "purchase", 5.0, None, NOW - 208 * DAY) for n in range(242)]
    rows += [(f"new-{n}", "brush", "purchase", 5.0, None, NOW - DAY) for n in range(3)]
    users = sorted({r[0] for r in rows})
    embedded.write(GraphBatch(users=pa.table({"id": users}), interactions=interactions_table(rows)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(activity_module.time, "time", lambda: float(NOW))
        live = live_of(embedded, ActivitySettings())
        activity = live.activity
        lipstick, brush = live.item_index["lipstick"], live.item_index["brush"]
        assert activity.trend_score[brush] > activity.trend_score[lipstick]
        assert (activity.recent[brush], activity.recent[lipstick]) == (3, 0)
        # decayed to now: 3 * 2^(-1/7) against 242 * 2^(-208/7) (and the two 1970 ones)
        now = activity.trending_now(np.array([brush, lipstick]))
        assert now[0] == pytest.approx(3 * 2 ** (-1 / 7))
        assert now[1] == pytest.approx(242 * 2 ** (-208 / 7), rel=1e-6)
        # popular (90-day half-life) still prefers the many
        assert activity.popular_score[lipstick] > activity.popular_score[brush]


def test_the_window_moves_with_the_clock(embedded: GraphStore) -> None:
    embedded.write(shop_batch())
    embedded.write(
        GraphBatch(
            users=pa.table({"id": ["erin"]}),
            interactions=interactions_table(
                [("erin", "brush", "purchase", 5.0, None, NOW - 6 * DAY)]
            ),
        )
    )
    clock = {"now": float(NOW)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(activity_module.time, "time", lambda: clock["now"])
        live = live_of(embedded, ActivitySettings())
        brush = live.item_index["brush"]
        assert live.activity.recent[brush] == 1
        clock["now"] = NOW + 2 * DAY  # 8 days after the purchase: out of the window
        fresh = live.activity.afresh(
            embedded.item_activity(**live.activity.query_params()),
            live.item_index,
            live.num_items,
        )
        assert fresh.recent[brush] == 0 and fresh.shoppers[brush] == 1
        assert fresh.version == live.activity.version + 1
        # the order of the decayed scores never needs time to be recomputed
        assert fresh.trend_score[brush] == pytest.approx(live.activity.trend_score[brush])


def test_a_forgotten_shopper_no_longer_counts(shop: GraphStore) -> None:
    live = live_of(shop)
    live.forget(live.user("carol"))
    shop.delete_user("carol")
    after = live_of(shop).activity
    # the forgotten user's row is gone from memory's indices as from the store's snapshot
    for name in ("shoppers", "recent"):
        by_id = dict(zip(live.item_ids, getattr(live.activity, name), strict=True))
        assert by_id == dict(zip(live.item_ids, getattr(after, name), strict=True))
    serum = live.item_index["serum"]
    np.testing.assert_allclose(live.activity.trend_score[serum], after.trend_score[serum])
    mascara = live.item_index["mascara"]  # carol and dave: dave's alone is left
    assert live.activity.shoppers[mascara] == 1
    np.testing.assert_allclose(
        live.activity.popular_score[mascara], after.popular_score[mascara], atol=1e-9
    )


def test_bad_settings_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="window_days"):
        ActivitySettings(window_days=0)
    with pytest.raises(ValueError, match="clock"):
        ActivitySettings(clock="sundial")  # type: ignore[arg-type]


def test_a_serving_process_refreshes_from_the_store(shop: GraphStore, shop_artifact: Path) -> None:
    """What reached the store without this process (another replica, a load) counts after the
    next refresh, which answers start by themselves once it is due."""
    settings = ActivitySettings(clock="data", refresh_seconds=0.05)
    service = Service.open(shop, shop_artifact, config=served_config(activity=settings))
    live = service.engine.live
    brush = live.item_index["brush"]
    assert live.activity.shoppers[brush] == 0
    shop.write(
        GraphBatch(
            users=pa.table({"id": [f"new-{n}" for n in range(4)]}),
            interactions=interactions_table(
                [(f"new-{n}", "brush", "purchase", 5.0, None, 500) for n in range(4)]
            ),
        )
    )
    time.sleep(0.1)
    service.sync()  # as before an answer: starts the refresh in the background
    deadline = time.monotonic() + 10
    while service.counters["activity_refreshes"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    activity = service.engine.live.activity
    assert (activity.shoppers[brush], activity.recent[brush]) == (4, 4)
    everything = np.ones(live.num_items, dtype=bool)  # serum was next, with three
    assert service.engine.popularity.popular(everything, 1, trending=True).tolist() == [brush]
