"""Similar items: by the model's vectors, and never an item the model has no vector for ranked
as if it had one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from graphrec.serving import related
from graphrec.store import GraphBatch, GraphStore
from tests.conftest import open_backend
from tests.models.test_recency import two_pairs_shop
from tests.serving.test_item_item import served

UNSOLD = GraphBatch(
    items=pa.table(
        {
            "id": ["lipstick-travel"],
            "title": ["Red Lipstick Travel Size"],
            "price": pa.array([None], pa.float64()),
            "in_stock": [True],
            "created_at": pa.array([None], pa.int64()),
        }
    )
)


@pytest.fixture(params=["ladybug", "neo4j"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty embedded store, and Neo4j: the answers are the same on both."""
    store = open_backend(request.param, tmp_path)
    yield store
    store.close()


def ids(answer: list) -> list[str]:
    return [r.item.id for r in answer]


def test_items_without_a_vector_are_never_ranked_by_a_zero_score(
    shop: GraphStore, tmp_path: Path
) -> None:
    two_pairs_shop(shop, newest="lipstick")
    shop.write(UNSOLD)  # in training, but nobody had it: GF-CF gives it no vector
    service = served(shop, tmp_path, "gfcf", {"beta": 0.5, "dim": 2})
    engine = service.engine
    try:
        unsold = engine.item_index("lipstick-travel")
        assert not engine.look_alike_items()[unsold]
        # the brush and the travel lipstick were never had: not among anyone's similar items
        answer = ids(related.similar_items(engine, "serum", k=10))
        assert "brush" not in answer and "lipstick-travel" not in answer
        assert answer == ids(related.similar_items(engine, "serum", k=10))  # the same each time
        # an item without a vector: the items whose title words are nearest, else none
        assert ids(related.similar_items(engine, "lipstick-travel", k=5)) == ["lipstick"]
        assert ids(related.similar_items(engine, "brush", k=5)) == []  # "Blush Brush": no match
    finally:
        service.close()


def test_recommendations_never_rank_an_item_without_a_score(
    shop: GraphStore, tmp_path: Path
) -> None:
    """Nobody had the brush or the travel lipstick in training: GF-CF gives them no vector and no
    item-item weight, so no shopper's answer ranks them (at a score of 0), however long."""
    two_pairs_shop(shop, newest="lipstick")
    shop.write(UNSOLD)
    service = served(shop, tmp_path, "gfcf", {"beta": 0.5, "dim": 2})
    try:
        for shopper in ("quinn", "s0", "l1", "alice"):
            answer = service.engine.recommend(shopper, k=20).item_ids
            assert answer and not {"brush", "lipstick-travel"} & set(answer), shopper
    finally:
        service.close()
