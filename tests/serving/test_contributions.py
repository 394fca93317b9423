"""What each recent item adds to an item's score: the parts sum to the score the engine ranks
by, and the first reason names the recent item that adds most."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphrec.serving.contributions import contributions, recency_ranks
from graphrec.serving.ranking import user_query
from graphrec.store import GraphStore
from tests.models.test_recency import two_pairs_shop
from tests.serving.test_item_item import served


def test_recency_ranks_share_a_rank_for_the_same_time() -> None:
    assert recency_ranks(np.array([50, 40, 40, 30])).tolist() == [0, 1, 1, 3]


@pytest.mark.parametrize(
    ("name", "params"),
    [("ease", {"l2": 1.0, "recency_half_life": 1.0}), ("gfcf", {"beta": 0.5, "dim": 2})],
)
def test_the_parts_sum_to_the_score(
    embedded: GraphStore, tmp_path: Path, name: str, params: dict
) -> None:
    two_pairs_shop(embedded, newest="lipstick")
    service = served(embedded, tmp_path, name, params)
    engine = service.engine
    try:
        user = engine.live.user("quinn")
        _, recent, _ = engine.shopper_events.of(user)
        items = np.arange(engine.live.num_items)
        parts = contributions(engine, user, recent, items)
        query, _ = user_query(engine, user, recent)
        score = engine.vectors @ query + engine.history_scores(user)
        alike = (engine.vectors[items] @ engine.unit[recent.items].T > 0).any(axis=1)
        # exact where some recent item is like the item (the user vector's share goes there)
        assert np.allclose(parts.sum(axis=1)[alike], score[alike], atol=1e-4)
        # the mascara is the lipstick's partner, the cream the serum's: each names its own
        mascara, cream = engine.item_index("mascara"), engine.item_index("cream")
        sources = [engine.live.item_ids[i] for i in recent.items]
        assert sources[int(np.argmax(parts[mascara]))] == "lipstick"
        assert sources[int(np.argmax(parts[cream]))] == "serum"
        answer = engine.recommend("quinn", k=2, explore=0.0)
        for item in answer.items:
            named = item.reasons[0].path.nodes[1].id
            partner = {"mascara": "lipstick", "cream": "serum"}[item.item.id]
            assert named == partner, (item.item.id, item.reasons[0].text)
    finally:
        service.close()


def test_because_is_written_alike_by_the_compiled_plans(
    embedded: GraphStore, tmp_path: Path
) -> None:
    """Where no relationship leads from the item that adds most, the first reason says so
    ("Because you ..."), popularity is not added, and the compiled plans write it as the
    objects say it."""
    import orjson

    from tests.api.helpers import RECS, ok
    from tests.api.test_fast_path import fast_path

    two_pairs_shop(embedded, newest="lipstick")
    service = served(embedded, tmp_path, "ease", {"l2": 1.0, "recency_half_life": 1.0})
    service.engine.config.control_share = 0.0
    try:
        variables = {"user": "bob", "k": 3, "explore": 0.0}
        expected = ok(service, RECS, **variables)
        reasons = [i["reasons"] for i in expected["recommendations"]["items"]]
        because = [r for rs in reasons for r in rs if r["kind"] == "BECAUSE"]
        assert because and all(rs[0]["kind"] == "BECAUSE" for rs in reasons if rs[0] in because)
        for first in because:
            assert first["text"].startswith("Because you ")
            assert [n["label"] for n in first["path"]["nodes"]] == ["User", "Item"]
        assert all(
            r["kind"] != "POPULAR" for rs in reasons for r in rs[1:]
        )  # popularity only where nothing else carried the score
        body = orjson.dumps({"query": RECS, "variables": variables})
        written = fast_path(service).try_execute(body)
        assert written is not None
        got = orjson.loads(written)["data"]
        for data in (got, expected):
            data["recommendations"]["recommendationId"] = "-"
        assert got == expected
    finally:
        service.close()
