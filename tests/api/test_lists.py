"""Every list goes through the same filter, rules and freshness; a cart's complements blend
every cart item's partners. On the embedded store and on Neo4j (the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphrec.rules import Rule
from graphrec.serving.activity import ActivitySettings
from graphrec.serving.service import ItemInput, Service
from graphrec.store.base import GraphStore
from tests.api.helpers import error_code, ids, ok, recs, run
from tests.graphs import bought_with_table, served_config

# cream: the serum with 6 shoppers, the lipstick with 5, the toner (out of stock) with 4;
# the brush: the mascara with 2
EDGES = [
    ("cream", "serum", 6.0),
    ("cream", "lipstick", 5.0),
    ("cream", "toner", 4.0),
    ("brush", "mascara", 2.0),
]


def serve(store: GraphStore, artifact: Path, tmp_path: Path, **config: Any) -> Service:
    store.replace_bought_with(bought_with_table(EDGES))
    return Service.open(store, artifact, config=served_config(**config), log_dir=tmp_path / "log")


@pytest.fixture()
def lists(store: GraphStore, shop_artifact: Path, tmp_path: Path) -> Iterator[Service]:
    service = serve(store, shop_artifact, tmp_path)
    yield service
    service.close()


def listed(service: Service, query: str) -> list[tuple[str, Any]]:
    (answer,) = ok(service, "{ " + query + " }").values()
    return [(r["item"]["id"], r.get("cartItem")) for r in answer]


def test_a_carts_complements_blend_every_cart_item(lists: Service) -> None:
    """The brush's one partner (2 shoppers) stands beside the cream's best (6), ahead of the
    cream's second (5); summed counts put it last. Each says which cart item it goes with."""
    answer = listed(
        lists,
        'complementsForCart(itemIds: ["cream", "brush"], k: 3) { item { id } cartItem { id } }',
    )
    assert sorted(answer[:2]) == [("mascara", {"id": "brush"}), ("serum", {"id": "cream"})]
    assert answer[2] == ("lipstick", {"id": "cream"})
    # one item: its partners by shoppers, no cart item to name; the toner is out of stock
    single = ok(lists, '{ boughtTogether(itemId: "cream") { item { id } score cartItem { id } } }')
    assert [(r["item"]["id"], r["score"], r["cartItem"]) for r in single["boughtTogether"]] == [
        ("serum", 6.0, None),
        ("lipstick", 5.0, None),
    ]


def test_filters_apply_to_every_list(lists: Service) -> None:
    # a price range: the serum costs 24, the lipstick 15; the brush has no price
    assert listed(
        lists, 'boughtTogether(itemId: "cream", filter: {maxPrice: 20}) { item { id } }'
    ) == [("lipstick", None)]
    assert listed(
        lists, 'boughtTogether(itemId: "cream", filter: {inStockOnly: false}) { item { id } }'
    ) == [("serum", None), ("lipstick", None), ("toner", None)]
    similar = listed(
        lists, 'similarItems(itemId: "serum", filter: {brands: ["rouge"]}) { item { id } }'
    )
    assert sorted(similar) == [("lipstick", None), ("mascara", None)]
    trending = listed(
        lists, "trending(k: 10, filter: {minPrice: 16, maxPrice: 30}) { item { id } }"
    )
    assert sorted(trending) == [("mascara", None), ("serum", None)]
    assert ids(recs(lists, "dave", filter={"minPrice": 20})) == ["serum", "cream"]
    # an id the shop does not have is named, not ignored
    for query, named in (
        ('{ trending(filter: {brands: ["rogue"]}) { item { id } } }', "rogue"),
        (
            '{ similarItems(itemId: "serum", filter: {categories: ["Lipz"]}) { item { id } } }',
            "Lipz",
        ),
        ('{ recommendations(userId: "dave", filter: {brands: ["rogue"]}) { userId } }', "rogue"),
    ):
        result = run(lists, query)
        assert error_code(result) == "NOT_FOUND" and named in str(result.errors[0].message)


def test_rules_apply_to_every_list(store: GraphStore, shop_artifact: Path, tmp_path: Path) -> None:
    rules = [
        Rule(action="bury", id="no-glow", brand="glow"),
        Rule(action="pin", id="brush-first", item="brush", position=1),
    ]
    service = serve(store, shop_artifact, tmp_path, rules=rules)
    try:
        # the serum (glow) is buried below the lipstick; the brush is pinned first
        assert listed(service, 'boughtTogether(itemId: "cream") { item { id } }') == [
            ("brush", None),
            ("lipstick", None),
            ("serum", None),
        ]
        trending = [i for i, _ in listed(service, "trending(k: 10) { item { id } }")]
        assert trending[0] == "brush" and trending[-1] in ("serum", "cream")
        assert set(trending[-2:]) == {"serum", "cream"}  # the glow items last
        similar = [i for i, _ in listed(service, 'similarItems(itemId: "mascara") { item { id } }')]
        assert similar[0] == "brush" and similar[-1] in ("serum", "cream")
        assert ids(recs(service, "a-new-shopper"))[0] == "brush"  # cold start too
    finally:
        service.close()


def test_new_items_are_boosted_while_fresh(
    store: GraphStore, shop_artifact: Path, tmp_path: Path
) -> None:
    """An item added now is younger than a day; the shop's items are from 1970. With a boost it
    leads bob's answer; without one it does not."""
    wall = ActivitySettings(clock="wall")
    service = serve(store, shop_artifact, tmp_path, activity=wall, fresh_days=1.0, fresh_boost=5.0)
    try:
        service.upsert_item(
            ItemInput(id="sponge", title="Bath Sponge", categories=(("Tools", None),))
        )
        assert ids(recs(service, "bob", k=3))[0] == "sponge"
        similar = [
            i for i, _ in listed(service, 'similarItems(itemId: "lipstick") { item { id } }')
        ]
        assert "sponge" not in similar or similar[0] == "sponge"
        service.engine.config = served_config(activity=wall, fresh_days=0.0)
        assert ids(recs(service, "bob", k=3))[0] != "sponge"
    finally:
        service.close()
