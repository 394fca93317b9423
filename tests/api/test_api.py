"""The GraphQL API on the known shop (tests/graphs.py), through schema.execute and over HTTP.

The shop: alice bought serum and cream and viewed lipstick; bob bought serum and cream and put
toner (out of stock) in his cart; carol bought serum and toner and rated mascara; dave bought
lipstick and mascara. BOUGHT_WITH (intent kinds, >= 2 shoppers): serum-cream 2, serum-toner 2.
"""

from __future__ import annotations

from typing import Any

from graphrec.serving.event_writes import EventInput
from graphrec.serving.service import ItemInput, Service
from graphrec.store.base import GraphStore
from tests.api.helpers import assert_path_in_store, ids, ok, recs


def test_bought_with_reason_is_a_true_path(service: Service, store: GraphStore) -> None:
    answer = recs(service, "alice", filter={"inStockOnly": False})
    assert answer["strategy"] == "PERSONALIZED"
    assert "serum" not in ids(answer) and "cream" not in ids(answer)  # bought already
    toner = next(r for r in answer["items"] if r["item"]["id"] == "toner")
    first = toner["reasons"][0]
    assert first["kind"] == "BOUGHT_WITH"
    assert first["text"] == "Bought together with Hydrating Serum by 2 shoppers"
    assert first["support"] == 2.0
    assert [n["id"] for n in first["path"]["nodes"]] == ["alice", "serum", "toner"]
    assert [r["type"] for r in first["path"]["relationships"]] == ["INTERACTED", "BOUGHT_WITH"]
    for item in answer["items"]:
        assert item["reasons"], item
        for reason in item["reasons"]:
            assert_path_in_store(store, reason["path"])


def test_stock_filter_and_request_filters(service: Service) -> None:
    assert "toner" not in ids(recs(service, "alice"))  # out of stock, dropped by default
    only = recs(service, "alice", filter={"brands": ["rouge"], "inStockOnly": True})
    assert set(ids(only)) == {"lipstick", "mascara"}
    makeup = recs(service, "bob", filter={"categories": ["Makeup"]})
    assert set(ids(makeup)) == {"lipstick", "mascara"}  # sub-categories of Makeup
    excluded = recs(service, "bob", filter={"categories": ["Makeup"], "excludeItems": ["mascara"]})
    assert ids(excluded) == ["lipstick"]


def test_unknown_shopper_gets_trending_never_an_error(service: Service) -> None:
    answer = recs(service, "somebody-new", k=3)
    assert answer["strategy"] == "COLD_START"
    assert ids(answer)[0] == "serum"  # three shoppers, the most
    assert answer["items"][0]["reasons"][0]["kind"] == "TRENDING"


def test_shared_trending_and_popular_reasons_follow_the_counts(service: Service) -> None:
    """These reasons are shared between answers: an event must still change their counts."""

    def first_reason(user: str) -> dict[str, Any]:
        return recs(service, user, k=3)["items"][0]["reasons"][0]  # type: ignore[no-any-return]

    assert first_reason("somebody-new") == {
        **first_reason("somebody-new"),
        "kind": "TRENDING",
        "support": 3.0,
    }
    assert "3 shoppers in the last 7 days" in first_reason("somebody-new")["text"]
    ok(
        service,
        """mutation($e: InteractionInput!) { recordInteraction(input: $e) { recorded } }""",
        authorized=True,
        e={"userId": "zed", "itemId": "serum", "kind": "purchase", "ts": 130},
    )
    after = first_reason("somebody-else")
    assert (after["kind"], after["support"]) == ("TRENDING", 4.0)
    assert "4 shoppers in the last 7 days" in after["text"]
    popular = service.engine.popularity_reason(service.engine.item_index("serum"), False)
    assert (popular.support, popular.text) == (4.0, "Popular: chosen by 4 shoppers")


def test_trending_lists_follow_events_in_their_own_categories(service: Service) -> None:
    engine, live = service.engine, service.engine.live
    service.upsert_item(ItemInput(id="gloss", title="Gloss", categories=(("Makeup > Lips", None),)))
    lips, eyes = live.category_index["Makeup > Lips"], live.category_index["Makeup > Eyes"]

    def names(category: int) -> list[str]:
        return [live.item_ids[i] for i in engine.popularity.category_trending(category)]

    assert names(lips) == ["lipstick", "gloss"]  # two shoppers against none
    kept = engine.popularity.category_trending(eyes)
    events = [EventInput(user_id=f"zed{n}", item_id="gloss", kind="view", ts=400) for n in range(3)]
    service.record(events)
    assert names(lips) == ["gloss", "lipstick"]
    assert (
        engine.popularity.category_trending(eyes) is kept
    )  # not recomputed: nothing trended there


def test_lookups_and_item_to_item(service: Service, store: GraphStore) -> None:
    data = ok(
        service,
        '{ item(id: "serum") { id title price brand { id } } missing: item(id: "x") { id } }',
    )
    assert data["item"] == {
        "id": "serum",
        "title": "Hydrating Serum",
        "price": 24.0,
        "brand": {"id": "glow"},
    }
    assert data["missing"] is None
    user = ok(
        service,
        '{ user(id: "alice") { id knownToModel history { item { id } kind ts } } }',
        authorized=True,  # personal data: the admin key
    )
    assert [e["item"]["id"] for e in user["user"]["history"]] == ["lipstick", "cream", "serum"]
    together = ok(
        service,
        '{ boughtTogether(itemId: "serum") { item { id } score '
        "reasons { kind path { nodes { id } } } } }",
    )
    # the toner is out of stock: left out, as by every list, unless the filter says otherwise
    assert {r["item"]["id"]: r["score"] for r in together["boughtTogether"]} == {"cream": 2.0}
    every = ok(
        service,
        '{ boughtTogether(itemId: "serum", filter: {inStockOnly: false}) { item { id } score } }',
    )
    assert {r["item"]["id"]: r["score"] for r in every["boughtTogether"]} == {
        "cream": 2.0,
        "toner": 2.0,
    }
    assert together["boughtTogether"][0]["reasons"][0]["path"]["nodes"][0]["id"] == "serum"
    cart = ok(
        service,
        '{ complementsForCart(itemIds: ["cream", "toner"]) { item { id } score cartItem { id } } }',
    )
    # the serum is each cart item's strongest partner (1 + 1); it comes first from the cream
    assert cart["complementsForCart"] == [
        {"item": {"id": "serum"}, "score": 2.0, "cartItem": {"id": "cream"}}
    ]
    similar = ok(service, '{ similarItems(itemId: "serum", k: 3) { item { id } } }')
    assert len(similar["similarItems"]) == 3
    assert "serum" not in [r["item"]["id"] for r in similar["similarItems"]]
    trending = ok(
        service, '{ trending(categoryId: "Makeup", k: 5) { item { id } reasons { kind } } }'
    )
    # two shoppers each; mascara's were chosen later (230, 320 against 130, 300), so it
    # weighs more after decay
    assert [r["item"]["id"] for r in trending["trending"]] == ["mascara", "lipstick"]
    explained = ok(
        service,
        '{ explain(userId: "bob", itemId: "toner") { kind support '
        "path { nodes { label id } relationships { type start end kind weight } } } }",
    )
    kinds = [r["kind"] for r in explained["explain"]]
    assert kinds[0] == "BOUGHT_WITH"
    for reason in explained["explain"]:
        assert_path_in_store(store, reason["path"])


def test_similar_shoppers_counts_other_shoppers_only(service: Service, store: GraphStore) -> None:
    # bob had serum and cream; of the others, only alice had both (bob himself does not count,
    # though alice, not bob, is the lowest-numbered shopper of the two)
    query = (
        '{ explain(userId: "bob", itemId: "cream", every: true) { kind text support '
        "path { nodes { label id name } relationships { type start end kind } } } }"
    )
    # the answer's reasons: "bought together with the serum" says it already (and one shopper
    # is no evidence); every path shows it
    shown = ok(service, query.replace(", every: true", ""))["explain"]
    assert "SIMILAR_SHOPPERS" not in {r["kind"] for r in shown}
    explained = ok(service, query)
    found = [r for r in explained["explain"] if r["kind"] == "SIMILAR_SHOPPERS"]
    assert len(found) == 1
    reason = found[0]
    assert reason["text"] == "1 shopper who chose Hydrating Serum also chose this"
    assert reason["support"] == 1.0
    # the other shoppers are one node, counted, never named: not "alice"
    assert [n["id"] for n in reason["path"]["nodes"]] == ["bob", "serum", "", "cream"]
    assert reason["path"]["nodes"][2] == {"label": "Shoppers", "id": "", "name": "1 shopper"}
    assert_path_in_store(store, reason["path"])


def test_common_shoppers_leave_out_the_asker_and_follow_events(service: Service) -> None:
    live = service.engine.live
    serum, cream = live.item_index["serum"], live.item_index["cream"]

    def common(user: str) -> tuple[str | None, int] | None:
        found = live.common_shopper(live.user_index[user], serum, cream)
        # the same through the pair's co-interaction link, which holds the answer as loaded
        links, n = live.links(), live.num_items
        row = links.indices[links.indptr[serum] : links.indptr[serum + 1]].tolist()
        at = links.indptr[serum] + row.index(live.LINKS.index("co_counts") * n + cream)
        assert live.common_shopper(live.user_index[user], serum, cream, at) == found
        return None if found is None else (live.user_ids[found[0]], found[1])

    # alice and bob had both; the pair's answer is kept, the asker is left out of it
    assert common("carol") == ("alice", 2)
    assert common("alice") == ("bob", 1)
    assert common("bob") == ("alice", 1)
    assert live.common_shopper(live.user_index["bob"], cream, serum) == (
        live.user_index["alice"],
        1,
    )
    service.record(
        [
            EventInput(user_id="dave", item_id="serum", kind="purchase"),
            EventInput(user_id="dave", item_id="cream", kind="purchase"),
        ]
    )
    assert common("carol") == ("alice", 3)
    assert common("alice") == ("bob", 2)
    service.forget_user("alice")
    assert common("carol") == ("bob", 2)


def test_similar_shoppers_in_recommendations_leave_out_the_asker(service: Service) -> None:
    # carol bought serum, then viewed cream (a view keeps it recommendable): of the three
    # shoppers of both, two are others
    service.record([EventInput(user_id="carol", item_id="cream", kind="view", ts=10_000)])
    answer = recs(service, "carol", filter={"categories": ["Skin Care > Face > Moisturizers"]})
    (cream,) = [i for i in answer["items"] if i["item"]["id"] == "cream"]
    # the answer says it once, as bought together with the serum; every path adds the count
    texts = [r["text"] for r in cream["reasons"]]
    assert "Bought together with Hydrating Serum by 2 shoppers" in texts
    assert not any("also chose this" in text for text in texts)
    every = ok(service, '{ explain(userId: "carol", itemId: "cream", every: true) { text } }')
    texts = [r["text"] for r in every["explain"]]
    assert "2 shoppers who chose Hydrating Serum also chose this" in texts


def test_common_shoppers_follow_a_privacy_delete(service: Service) -> None:
    live = service.engine.live
    serum, cream = live.item_index["serum"], live.item_index["cream"]
    links, n = live.links(), live.num_items
    row = links.indices[links.indptr[serum] : links.indptr[serum + 1]].tolist()
    at = links.indptr[serum] + row.index(live.LINKS.index("co_counts") * n + cream)
    carol = live.user_index["carol"]
    assert live.common_shopper(carol, serum, cream, at) == (live.user_index["alice"], 2)
    service.forget_user("alice")  # no event on the pair before: the loaded answer is stale
    assert live.common_shopper(carol, serum, cream, at) == (live.user_index["bob"], 1)


def test_control_group_gets_popularity(service: Service) -> None:
    service.engine.config.control_share = 1.0
    answer = recs(service, "alice", k=2)
    assert answer["strategy"] == "CONTROL"
    # two shoppers each (serum and cream are bought already); mascara's were later
    assert ids(answer) == ["mascara", "lipstick"]
    assert {r["reasons"][0]["kind"] for r in answer["items"]} == {"POPULAR"}


def test_exploration_slots_say_so(service: Service) -> None:
    answer = recs(service, "bob", k=2, explore=0.5)
    explored = [r for r in answer["items"] if r["reasons"][0]["kind"] == "EXPLORATION"]
    assert len(explored) == 1


def test_explain_gives_the_reasons_the_answer_gave(service: Service) -> None:
    """The same reasons, from the same recent items, as the shopper's recommendations; every
    path adds to them, never takes away."""
    answer = recs(service, "alice", k=4, explore=0.0, filter={"inStockOnly": False})
    for item in answer["items"]:
        query = '{ explain(userId: "alice", itemId: "%s"%s) { kind text } }'
        shown = ok(service, query % (item["item"]["id"], ""))["explain"]
        assert [r["text"] for r in shown] == [r["text"] for r in item["reasons"]]
        every = ok(service, query % (item["item"]["id"], ", every: true"))["explain"]
        assert every[: len(shown)] == shown


def test_a_reason_names_an_item_without_a_title_plainly(service: Service) -> None:
    service.upsert_item(ItemInput(id="kit", brand_id="glow", categories=(("Tools", None),)))
    service.record([EventInput(user_id="dave", item_id="kit", kind="purchase", ts=5_000)])
    every = ok(service, '{ explain(userId: "dave", itemId: "serum", every: true) { text } }')
    assert "Same brand (Glow) as item kit, which you bought" in [
        r["text"] for r in every["explain"]
    ]
