"""The behaviour suite: every backend passes it unchanged (Neo4j when GRAPHREC_NEO4J_URI is set)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.rules import Rule
from graphrec.store import GraphBatch, GraphStore, Interaction
from tests.graphs import INTERACTIONS, bought_with_table, interactions_table, shop_batch

SHOP_NODES = {"User": 4, "Item": 6, "Category": 9, "Brand": 3}
SHOP_RELS = {
    "INTERACTED": 11,
    "IN_CATEGORY": 6,
    "SUBCATEGORY_OF": 6,
    "MADE_BY": 5,
    "BOUGHT_WITH": 0,
    "SIMILAR_TO": 0,
}


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    store.write(shop_batch())
    return store


def test_empty_store_counts_zero(store: GraphStore) -> None:
    counts = store.counts()
    assert set(counts.nodes.values()) == {0}
    assert set(counts.relationships.values()) == {0}


def test_write_creates_the_known_graph(store: GraphStore) -> None:
    summary = store.write(shop_batch())
    assert summary.created["users"] == 4
    assert summary.created["interactions"] == 11
    counts = store.counts()
    assert counts.nodes == SHOP_NODES
    assert counts.relationships == SHOP_RELS


def test_writing_the_same_batch_twice_changes_nothing(shop: GraphStore) -> None:
    summary = shop.write(shop_batch())
    assert not summary.changed
    assert shop.counts().nodes == SHOP_NODES
    assert shop.counts().relationships == SHOP_RELS


def test_upsert_updates_known_items_and_adds_new_ones(shop: GraphStore) -> None:
    items = pa.table(
        {
            "id": ["serum", "balm"],
            "title": ["Serum v2", "Lip Balm"],
            "price": [26.0, 4.0],
            "in_stock": [False, True],
            "created_at": pa.array([1000, 1500], pa.int64()),
        }
    )
    shop.write(GraphBatch(items=items))
    serum = shop.get_item("serum")
    assert serum is not None
    assert (serum["title"], serum["price"], serum["in_stock"]) == ("Serum v2", 26.0, False)
    assert serum["brand"] == {"id": "glow", "name": "Glow"}  # relationships untouched
    assert shop.get_item("balm")["title"] == "Lip Balm"  # type: ignore[index]
    assert shop.counts().nodes["Item"] == 7


def test_get_item_has_properties_brand_and_categories(shop: GraphStore) -> None:
    item = shop.get_item("toner")
    assert item == {
        "id": "toner",
        "title": "Rose Toner",
        "price": 12.0,
        "in_stock": False,
        "created_at": 1100,
        "brand": {"id": "pure", "name": "Pure"},
        "categories": [{"id": "Skin Care > Face > Toners", "name": "Toners"}],
    }
    brush = shop.get_item("brush")
    assert brush is not None and brush["brand"] is None and brush["price"] is None


def test_unknown_ids_read_as_none_or_empty(shop: GraphStore) -> None:
    assert shop.get_user("nobody") is None
    assert shop.get_item("nothing") is None
    assert shop.recent_interactions("nobody") == []
    assert shop.bought_with("nothing") == []
    assert shop.co_interactions("nothing") == []
    assert shop.links("nobody", ["serum"]) == []
    assert shop.get_user("alice") == {"id": "alice"}


def test_recent_interactions_newest_first_with_limit(shop: GraphStore) -> None:
    assert shop.recent_interactions("carol", limit=2) == [
        Interaction("mascara", "rating", 4.0, 4.0, 320),
        Interaction("toner", "purchase", 5.0, None, 220),
    ]
    assert len(shop.recent_interactions("carol")) == 3


def test_co_interactions_count_distinct_shoppers(shop: GraphStore) -> None:
    # serum's shoppers are alice, bob, carol: cream (alice, bob), toner (bob, carol),
    # lipstick (alice), mascara (carol); ties in id order.
    assert shop.co_interactions("serum") == [
        ("cream", 2),
        ("toner", 2),
        ("lipstick", 1),
        ("mascara", 1),
    ]
    assert shop.co_interactions("serum", limit=1) == [("cream", 2)]


def test_item_activity_counts_interest_with_decay(shop: GraphStore) -> None:
    # bob views serum twice more and dave marks it not interested: one shopper more, no
    # shopper for not_interested; serum's interest is then at 100, 110, 120, 400, 410
    shop.write(
        GraphBatch(
            interactions=interactions_table(
                [
                    ("bob", "serum", "view", 1.0, None, 400),
                    ("bob", "serum", "view", 1.0, None, 410),
                    ("dave", "serum", "not_interested", 0.0, None, 420),
                ]
            )
        )
    )
    rows = shop.item_activity(
        ["not_interested"], since=200, trend_half_life=10.0, popular_half_life=1e9
    )
    by_item = {r["item_id"]: r for r in rows}
    assert set(by_item) == {"serum", "cream", "toner", "lipstick", "mascara"}  # no brush
    serum = by_item["serum"]
    assert (serum["newest"], serum["shoppers"], serum["recent"]) == (410, 3, 1)
    # 2^((ts - 410) / 10): 2^-31 + 2^-30 + 2^-29 + 2^-1 + 1
    assert serum["trend_sum"] == pytest.approx(1.5 + 2**-31 + 2**-30 + 2**-29)
    assert serum["popular_sum"] == pytest.approx(5.0)
    mascara = by_item["mascara"]  # carol at 320, dave at 230
    assert (mascara["newest"], mascara["shoppers"], mascara["recent"]) == (320, 2, 2)
    assert mascara["trend_sum"] == pytest.approx(1.0 + 2**-9)


def test_replace_bought_with_swaps_all_edges(shop: GraphStore) -> None:
    assert (
        shop.replace_bought_with(
            bought_with_table(
                [("serum", "cream", 2.0), ("serum", "toner", 1.0), ("cream", "serum", 2.0)]
            )
        )
        == 3
    )
    assert shop.bought_with("serum") == [("cream", 2.0), ("toner", 1.0)]
    shop.replace_bought_with(bought_with_table([("lipstick", "mascara", 1.0)]))
    assert shop.bought_with("serum") == []
    assert shop.bought_with("lipstick") == [("mascara", 1.0)]
    assert shop.counts().relationships["BOUGHT_WITH"] == 1


def test_replace_bought_with_of_items_swaps_only_theirs(shop: GraphStore) -> None:
    shop.replace_bought_with(
        bought_with_table(
            [("serum", "cream", 2.0), ("serum", "toner", 1.0), ("cream", "serum", 2.0)]
        )
    )
    swapped = shop.replace_bought_with(
        bought_with_table([("serum", "mascara", 3.0)]), of_items=["serum", "toner"]
    )
    assert swapped == 1
    assert shop.bought_with("serum") == [("mascara", 3.0)]
    assert shop.bought_with("cream") == [("serum", 2.0)]  # not named: kept
    with pytest.raises(InvalidInput, match="an edge from 'cream'"):
        shop.replace_bought_with(bought_with_table([("cream", "toner", 1.0)]), of_items=["serum"])
    assert shop.bought_with("cream") == [("serum", 2.0)]
    assert shop.replace_bought_with(bought_with_table([]), of_items=["serum"]) == 0
    assert shop.counts().relationships["BOUGHT_WITH"] == 1


def test_co_interaction_counts_leave_out_weak_kinds_and_the_test_split(shop: GraphStore) -> None:
    def counts(items: list[str], excluded: list[str]) -> list[tuple[str, str, int]]:
        rows = shop.co_interaction_counts(items, excluded).to_pylist()
        return sorted((r["item_id"], r["other_id"], r["shoppers"]) for r in rows)

    # serum's shoppers: alice (cream, viewed lipstick), bob (cream, toner), carol (toner, mascara)
    assert counts(["serum"], ["view"]) == [
        ("serum", "cream", 2),
        ("serum", "mascara", 1),
        ("serum", "toner", 2),
    ]
    assert ("serum", "lipstick", 1) in counts(["serum"], [])
    assert counts(["serum", "brush"], ["view"]) == counts(["serum"], ["view"])  # brush: nobody
    shop.write(
        GraphBatch(
            interactions=interactions_table(
                [("dave", "serum", "purchase", 5.0, None, 900)], split="test"
            )
        )
    )
    assert counts(["mascara"], ["view"]) == [  # dave's test-split serum is not counted
        ("mascara", "lipstick", 1),
        ("mascara", "serum", 1),
        ("mascara", "toner", 1),
    ]


def test_links_are_paths_from_the_users_items(shop: GraphStore) -> None:
    shop.replace_bought_with(bought_with_table([("serum", "toner", 2.0)]))
    found = {
        (link.item_id, link.user_item_id, link.relation, link.via_id, link.via_name, link.weight)
        for link in shop.links("alice", ["toner", "mascara", "brush"])
    }
    # alice has serum, cream (Glow, Skin Care > Face) and lipstick (Rouge, Makeup > Lips).
    assert found == {
        ("toner", "serum", "BOUGHT_WITH", "toner", "Rose Toner", 2.0),
        ("mascara", "lipstick", "MADE_BY", "rouge", "Rouge", 1.0),
    }
    same_leaf = {
        (link.item_id, link.user_item_id, link.relation) for link in shop.links("bob", ["cream"])
    }
    assert ("cream", "serum", "MADE_BY") in same_leaf
    assert not any(link.user_item_id == "cream" for link in shop.links("bob", ["cream"]))
    assert shop.links("alice", []) == []


def test_links_by_same_category(store: GraphStore) -> None:
    batch = shop_batch()
    extra_item = pa.table(
        {
            "id": ["clay"],
            "title": ["Clay Mask"],
            "price": [9.0],
            "in_stock": [True],
            "created_at": pa.array([5], pa.int64()),
        }
    )
    store.write(batch)
    store.write(
        GraphBatch(
            items=extra_item,
            item_categories=pa.table(
                {"item_id": ["clay"], "category_id": ["Skin Care > Face > Serums"]}
            ),
        )
    )
    links = store.links("alice", ["clay"])
    assert [(lk.user_item_id, lk.relation, lk.via_id, lk.via_name) for lk in links] == [
        ("serum", "IN_CATEGORY", "Skin Care > Face > Serums", "Serums")
    ]


def test_stream_returns_every_row_of_every_table(shop: GraphStore) -> None:
    batch = shop_batch()
    for name, table in batch.tables():
        streamed = pa.Table.from_batches(list(shop.stream(name, batch_size=4)), schema=table.schema)
        key = (
            table.schema.names[:2]
            if name != "interactions"
            else ["user_id", "item_id", "kind", "ts"]
        )
        assert streamed.sort_by([(k, "ascending") for k in key]).equals(
            table.sort_by([(k, "ascending") for k in key])
        ), name
    with pytest.raises(InvalidInput, match="unknown table 'orders'"):
        list(shop.stream("orders"))


def test_delete_user_removes_user_and_interactions(shop: GraphStore) -> None:
    assert shop.delete_user("alice") is True
    assert shop.get_user("alice") is None
    assert shop.recent_interactions("alice") == []
    assert shop.counts().relationships["INTERACTED"] == 8
    assert shop.co_interactions("serum") == [("toner", 2), ("cream", 1), ("mascara", 1)]
    assert shop.delete_user("alice") is False
    assert shop.counts().nodes["Item"] == 6


def test_dangling_interaction_fails_and_changes_nothing(shop: GraphStore) -> None:
    bad = GraphBatch(
        users=pa.table({"id": ["erin"]}),
        interactions=interactions_table([("erin", "ghost", "view", 1.0, None, 5)]),
    )
    with pytest.raises(InvalidInput, match="dangling"):
        shop.write(bad)
    assert shop.get_user("erin") is None
    assert shop.counts().nodes == SHOP_NODES


def test_duplicate_keys_in_a_batch_are_refused(store: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="duplicate key"):
        store.write(GraphBatch(users=pa.table({"id": ["a", "a"]})))
    twice = interactions_table([INTERACTIONS[0], INTERACTIONS[0]])
    batch = shop_batch()
    with pytest.raises(InvalidInput, match="interactions: duplicate key"):
        store.write(GraphBatch(users=batch.users, items=batch.items, interactions=twice))
    assert store.counts().nodes["User"] == 0


def test_rules_are_kept_replaced_and_deleted(shop: GraphStore) -> None:
    assert shop.rules() == []
    pin = Rule(action="pin", id="pin-mascara", item="mascara", position=2)
    bury = Rule(action="bury", id="bury-rouge", brand="rouge", weight=2.0)
    shop.put_rule(pin)
    shop.put_rule(bury)
    assert shop.rules() == [bury, pin]  # by id
    boost = Rule(action="boost", id="pin-mascara", category="skincare", weight=0.5)
    shop.put_rule(boost)  # same id: replaced, and the old target is gone
    assert shop.rules() == [bury, boost]
    assert shop.counts().nodes == SHOP_NODES  # rules are settings, not the shop's graph
    assert shop.delete_rule("bury-rouge") is True
    assert shop.delete_rule("bury-rouge") is False
    assert shop.rules() == [boost]
    with pytest.raises(InvalidInput, match="needs an id"):
        shop.put_rule(Rule(action="bury", brand="rouge"))
    assert shop.rules() == [boost]


def test_clear_deletes_everything(shop: GraphStore) -> None:
    shop.clear()
    assert set(shop.counts().nodes.values()) == {0}
    shop.write(shop_batch())  # and the schema is still there
    assert shop.counts().nodes == SHOP_NODES


def embeddings_table(rows: dict[str, list[float]]) -> pa.Table:
    return pa.table(
        {"item_id": list(rows), "embedding": pa.array(list(rows.values()), pa.list_(pa.float32()))}
    )


def test_item_embeddings_and_similar_to_are_written_back(shop: GraphStore) -> None:
    assert (
        shop.write_item_embeddings(embeddings_table({"serum": [1.0, 0.0], "cream": [0.5, 0.5]}))
        == 2
    )
    exported = pa.Table.from_batches(list(shop.stream("items")))
    assert exported.num_rows == 6  # embeddings do not disturb the catalogue
    edges = pa.table(
        {
            "item_id": ["serum", "serum", "cream"],
            "other_id": ["cream", "toner", "serum"],
            "score": [0.9, 0.4, 0.9],
        }
    )
    assert shop.replace_similar_to(edges) == 3
    assert shop.similar_to("serum") == [("cream", 0.9), ("toner", 0.4)]
    assert shop.similar_to("serum", limit=1) == [("cream", 0.9)]
    assert shop.counts().relationships["SIMILAR_TO"] == 3
    streamed = pa.Table.from_batches(list(shop.stream("similar_to")))
    assert sorted(zip(*streamed.to_pydict().values(), strict=True)) == [
        ("cream", "serum", 0.9),
        ("serum", "cream", 0.9),
        ("serum", "toner", 0.4),
    ]
    shop.replace_similar_to(edges.slice(2))
    assert shop.similar_to("serum") == []
    assert shop.bought_with("serum") == []  # the other derived edges are untouched


def test_new_items_after_embeddings_are_written(shop: GraphStore) -> None:
    """Training writes item embeddings into the store; a shop keeps adding items after that."""
    shop.write_item_embeddings(embeddings_table({"serum": [1.0, 0.0], "cream": [0.5, 0.5]}))
    items = pa.table(
        {
            "id": ["serum", "balm"],
            "title": ["Serum v2", "Lip Balm"],
            "price": [26.0, 4.0],
            "in_stock": [True, True],
            "created_at": pa.array([1000, 1500], pa.int64()),
        }
    )
    summary = shop.write(GraphBatch(items=items))
    assert summary.created["items"] == 1
    assert shop.get_item("balm")["title"] == "Lip Balm"  # type: ignore[index]
    assert shop.get_item("serum")["title"] == "Serum v2"  # type: ignore[index]
    assert shop.counts().nodes["Item"] == 7


def test_bad_embeddings_are_refused(shop: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="several lengths"):
        shop.write_item_embeddings(embeddings_table({"serum": [1.0], "cream": [1.0, 2.0]}))
    with pytest.raises(InvalidInput, match="dangling"):
        shop.write_item_embeddings(embeddings_table({"ghost": [1.0, 2.0]}))
    with pytest.raises(InvalidInput, match="dangling"):
        shop.replace_similar_to(
            pa.table({"item_id": ["serum"], "other_id": ["ghost"], "score": [1.0]})
        )
