"""The GraphQL API on the known shop (tests/graphs.py), through schema.execute and over HTTP.

The shop: alice bought serum and cream and viewed lipstick; bob bought serum and cream and put
toner (out of stock) in his cart; carol bought serum and toner and rated mascara; dave bought
lipstick and mascara. BOUGHT_WITH (intent kinds, >= 2 shoppers): serum-cream 2, serum-toner 2.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from graphrec.api.app import App
from graphrec.api.fast import FastPath
from graphrec.api.operations import Operations
from graphrec.api.schema import schema
from graphrec.errors import ConfigError, StoreUnavailable
from graphrec.rules import Rule, load_rules
from graphrec.serving.options import RecFilter
from graphrec.serving.service import EventInput, ItemInput, Service
from graphrec.store.base import GraphBatch, GraphStore
from tests.api.conftest import API_KEY
from tests.api.helpers import RECS, USERS, assert_path_in_store, error_code, ids, ok, recs, run
from tests.graphs import interactions_table, served_config


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


def test_an_event_changes_the_next_answer(service: Service, store: GraphStore) -> None:
    before = recs(service, "erin")
    assert before["strategy"] == "COLD_START"
    recorded = ok(
        service,
        """mutation($e: InteractionInput!) { recordInteraction(input: $e) { recorded users } }""",
        authorized=True,
        e={"userId": "erin", "itemId": "serum", "kind": "purchase", "ts": 1000},
    )
    assert recorded["recordInteraction"] == {"recorded": 1, "users": ["erin"]}
    assert [i.item_id for i in store.recent_interactions("erin")] == ["serum"]  # durable first
    after = recs(service, "erin")
    assert after["strategy"] == "PERSONALIZED"
    assert "serum" not in ids(after)
    cream = next(r for r in after["items"] if r["item"]["id"] == "cream")
    assert cream["reasons"][0]["text"] == "Bought together with Hydrating Serum by 2 shoppers"
    for item in after["items"]:
        for reason in item["reasons"]:
            assert_path_in_store(store, reason["path"])


def test_not_interested_removes_the_item(service: Service) -> None:
    assert "mascara" in ids(recs(service, "alice"))
    ok(
        service,
        'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }',
        authorized=True,
    )
    assert "mascara" not in ids(recs(service, "alice"))


def test_forget_user_deletes_everything(service: Service, store: GraphStore) -> None:
    data = ok(
        service, 'mutation { forgetUser(userId: "dave") { userId deleted } }', authorized=True
    )
    assert data["forgetUser"] == {"userId": "dave", "deleted": True}
    assert store.get_user("dave") is None
    assert recs(service, "dave")["strategy"] == "COLD_START"
    assert ok(service, '{ user(id: "dave") { id } }')["user"] is None
    # alice viewed lipstick; dave was the one shopper with lipstick and mascara: that path is gone
    for item in recs(service, "alice")["items"]:
        for reason in item["reasons"]:
            assert "dave" not in [n["id"] for n in reason["path"]["nodes"]]


def test_upsert_item_is_recommendable_at_once(service: Service, store: GraphStore) -> None:
    data = ok(
        service,
        """mutation { upsertItem(input: {id: "balm", title: "Lip Balm", price: 5.0,
             brandId: "glow", categories: [{id: "Skin Care > Face > Serums"}]}) {
             created item { id title brand { name } category { id } } } }""",
        authorized=True,
    )
    assert data["upsertItem"]["created"] is True
    assert data["upsertItem"]["item"]["brand"] == {"name": "Glow"}
    assert store.get_item("balm") is not None
    answer = recs(service, "alice", filter={"categories": ["Skin Care > Face > Serums"]})
    assert ids(answer) == ["balm"]  # serum is bought; the new item is the one left
    reasons = {r["kind"] for r in answer["items"][0]["reasons"]}
    assert "SAME_BRAND" in reasons


def test_upsert_item_changes_only_the_fields_it_names(service: Service, store: GraphStore) -> None:
    before = store.get_item("toner")
    assert before is not None and before["in_stock"] is False
    data = ok(
        service,
        'mutation { upsertItem(input: {id: "toner", price: 9.5}) { created item { title } } }',
        authorized=True,
    )
    assert data["upsertItem"] == {"created": False, "item": {"title": "Rose Toner"}}
    assert store.get_item("toner") == {**before, "price": 9.5}  # title, stock, age, brand kept
    assert "toner" not in ids(recs(service, "alice"))  # still out of stock


def test_mutations_need_the_api_key(service: Service, store: GraphStore) -> None:
    result = run(
        service,
        'mutation { recordInteraction(input: {userId: "alice", itemId: "toner", kind: "view"})'
        " { recorded } }",
        authorized=False,
    )
    assert error_code(result) == "UNAUTHORIZED"
    assert "toner" not in {i.item_id for i in store.recent_interactions("alice")}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ recommendations(userId: "alice", k: 0) { strategy } }', "BAD_INPUT"),
        ('{ recommendations(userId: "alice", k: 101) { strategy } }', "BAD_INPUT"),
        ('{ recommendations(userId: "alice", diversity: 2) { strategy } }', "BAD_INPUT"),
        ('{ recommendations(userId: "alice", explore: 0.9) { strategy } }', "BAD_INPUT"),
        ('{ similarItems(itemId: "nope") { rank } }', "NOT_FOUND"),
        ('{ boughtTogether(itemId: "nope") { rank } }', "NOT_FOUND"),
        ("{ complementsForCart(itemIds: []) { rank } }", "BAD_INPUT"),
        ('{ trending(categoryId: "nope") { rank } }', "NOT_FOUND"),
        ('{ explain(userId: "alice", itemId: "nope") { kind } }', "NOT_FOUND"),
    ],
)
def test_bad_arguments_are_typed_errors(service: Service, query: str, code: str) -> None:
    result = run(service, query)
    assert error_code(result) == code
    assert result.data is None


def test_bad_events_change_nothing(service: Service, store: GraphStore) -> None:
    events = [
        {"userId": "zed", "itemId": "serum", "kind": "purchase"},
        {"userId": "zed", "itemId": "no-such-item", "kind": "purchase"},
    ]
    result = run(
        service,
        "mutation($e: [InteractionInput!]!) { recordInteractions(inputs: $e) { recorded } }",
        authorized=True,
        e=events,
    )
    assert error_code(result) == "NOT_FOUND"
    assert "event 2" in result.errors[0].message
    assert store.get_user("zed") is None
    result = run(
        service,
        'mutation { recordInteraction(input: {userId: "zed", itemId: "serum", kind: "Bad Kind"})'
        " { recorded } }",
        authorized=True,
    )
    assert error_code(result) == "BAD_INPUT"
    assert store.get_user("zed") is None


def test_query_limits(service: Service) -> None:
    aliases = " ".join(f'a{i}: item(id: "serum") {{ id }}' for i in range(20))
    assert run(service, "{ " + aliases + " }").errors
    deep = '{ recommendations(userId: "alice") { items { item { brand { id } } ' + (
        "reasons { path { nodes { id } } } } } }"
    )
    assert run(service, deep).errors is None
    too_deep = '{ user(id: "alice") { history { item { categories { id } } } } }'
    assert run(service, too_deep).errors is None


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
    user = ok(service, '{ user(id: "alice") { id knownToModel history { item { id } kind ts } } }')
    assert [e["item"]["id"] for e in user["user"]["history"]] == ["lipstick", "cream", "serum"]
    together = ok(
        service,
        '{ boughtTogether(itemId: "serum") { item { id } score '
        "reasons { kind path { nodes { id } } } } }",
    )
    assert {r["item"]["id"]: r["score"] for r in together["boughtTogether"]} == {
        "cream": 2.0,
        "toner": 2.0,
    }
    assert together["boughtTogether"][0]["reasons"][0]["path"]["nodes"][0]["id"] == "serum"
    cart = ok(service, '{ complementsForCart(itemIds: ["cream", "toner"]) { item { id } score } }')
    assert cart["complementsForCart"] == [{"item": {"id": "serum"}, "score": 4.0}]
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
    explained = ok(
        service,
        '{ explain(userId: "bob", itemId: "cream") { kind text support '
        "path { nodes { label id } relationships { type start end kind } } } }",
    )
    found = [r for r in explained["explain"] if r["kind"] == "SIMILAR_SHOPPERS"]
    assert len(found) == 1
    reason = found[0]
    assert reason["text"] == "1 shopper who chose Hydrating Serum also chose this"
    assert reason["support"] == 1.0
    assert [n["id"] for n in reason["path"]["nodes"]] == ["bob", "serum", "alice", "cream"]
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
    texts = [r["text"] for r in cream["reasons"] if r["kind"] == "SIMILAR_SHOPPERS"]
    assert texts == ["2 shoppers who chose Hydrating Serum also chose this"]


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
    import graphrec.serving.engine as engine_module

    monkeypatch.setattr(engine_module, "MARGIN", 1)  # as imported by the engine
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


def test_exploration_slots_say_so(service: Service) -> None:
    answer = recs(service, "bob", k=2, explore=0.5)
    explored = [r for r in answer["items"] if r["reasons"][0]["kind"] == "EXPLORATION"]
    assert len(explored) == 1


def test_business_rules(service: Service, tmp_path: Path) -> None:
    # bob has bought or carted every skin-care item; left in stock: lipstick, mascara, brush
    before = ids(recs(service, "bob"))
    assert sorted(before) == ["brush", "lipstick", "mascara"] and before[0] != "brush"
    service.engine.config.rules = [Rule(action="bury", brand="rouge")]
    assert ids(recs(service, "bob"))[0] == "brush"  # both Rouge items sink below it
    service.engine.config.rules = [Rule(action="boost", item="brush", weight=50.0)]
    assert ids(recs(service, "bob"))[0] == "brush"
    service.engine.config.rules = [Rule(action="pin", item=before[-1], position=1)]
    assert ids(recs(service, "bob"))[0] == before[-1]
    service.engine.config.rules = [Rule(action="bury", category="Makeup")]  # and below it
    assert ids(recs(service, "bob"))[0] == "brush"
    service.engine.config.rules = [  # rules add up: a boost lifts within the buried
        Rule(action="bury", brand="rouge"),
        Rule(action="boost", item="lipstick", weight=50.0),
    ]
    assert ids(recs(service, "bob")) == ["brush", "lipstick", "mascara"]
    service.engine.config.rules[1] = Rule(action="boost", item="mascara", weight=50.0)
    assert ids(recs(service, "bob")) == ["brush", "mascara", "lipstick"]
    bad = tmp_path / "rules.json"
    bad.write_text('[{"action": "pin", "brand": "rouge"}]')
    with pytest.raises(ConfigError, match="rule 1: pin takes an item"):
        load_rules(bad)


PUT_RULE = """mutation Put($input: RuleInput!) {
  putRule(input: $input) { id action itemId brandId categoryId weight position source }
}"""


def test_rules_kept_in_the_store_steer_the_next_answers(
    service: Service, store: GraphStore, shop_artifact: Path
) -> None:
    bury = {"id": "bury-rouge", "action": "BURY", "brandId": "rouge"}
    assert error_code(run(service, PUT_RULE, input=bury)) == "UNAUTHORIZED"
    assert store.rules() == []
    put = ok(service, PUT_RULE, authorized=True, input=bury)["putRule"]
    assert put == {
        "id": "bury-rouge",
        "action": "BURY",
        "itemId": None,
        "brandId": "rouge",
        "categoryId": None,
        "weight": 1.0,
        "position": 1,
        "source": "store",
    }
    assert store.rules() == [Rule(action="bury", id="bury-rouge", brand="rouge")]
    assert ids(recs(service, "bob"))[0] == "brush"
    assert (
        error_code(run(service, "{ rules { id } }")) == "UNAUTHORIZED"
    )  # merchandisers' eyes only
    listed = ok(service, "{ rules { id source } }", authorized=True)["rules"]
    assert listed == [{"id": "bury-rouge", "source": "store"}]
    # a server started later finds the rule in the store
    restarted = Service.open(store, shop_artifact, config=served_config())
    assert ids(recs(restarted, "bob"))[0] == "brush"
    # replaced under the same id, then deleted
    pin = {"id": "bury-rouge", "action": "PIN", "itemId": "mascara", "position": 1}
    ok(service, PUT_RULE, authorized=True, input=pin)
    assert ids(recs(service, "bob"))[0] == "mascara"
    deleted = ok(service, 'mutation { deleteRule(id: "bury-rouge") { deleted } }', True)
    assert deleted == {"deleteRule": {"deleted": True}}
    assert store.rules() == [] and ok(service, "{ rules { id } }", True) == {"rules": []}
    again = ok(service, 'mutation { deleteRule(id: "bury-rouge") { deleted } }', True)
    assert again == {"deleteRule": {"deleted": False}}


@pytest.mark.parametrize(
    ("rule", "code", "message"),
    [
        ({"action": "PIN", "brandId": "rouge"}, "BAD_INPUT", "pin takes an item"),
        ({"action": "BURY"}, "BAD_INPUT", "exactly one of item, brand or category"),
        ({"action": "BURY", "brandId": "rouge", "itemId": "serum"}, "BAD_INPUT", "exactly one"),
        ({"action": "PIN", "itemId": "serum", "position": 0}, "BAD_INPUT", "position must be"),
        ({"action": "BOOST", "brandId": "rouge", "weight": 1e9}, "BAD_INPUT", "weight must be"),
        ({"action": "BOOST", "brandId": "nobody"}, "NOT_FOUND", "no brand 'nobody'"),
        ({"action": "PIN", "itemId": "ghost"}, "NOT_FOUND", "no item 'ghost'"),
        ({"action": "BURY", "categoryId": "Garden"}, "NOT_FOUND", "no category 'Garden'"),
    ],
)
def test_bad_rules_are_refused_and_change_nothing(
    service: Service, store: GraphStore, rule: dict[str, Any], code: str, message: str
) -> None:
    before = ids(recs(service, "bob"))
    result = run(service, PUT_RULE, authorized=True, input={"id": "r", **rule})
    assert error_code(result) == code
    assert message in result.errors[0].message
    assert store.rules() == [] and service.rules() == []
    assert ids(recs(service, "bob")) == before


def test_http(service: Service) -> None:
    client = TestClient(App(service, api_key=API_KEY, operations=Operations.of(RECS)))
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 200
    response = client.post("/graphql", json={"query": RECS, "variables": {"user": "alice", "k": 2}})
    assert response.status_code == 200
    assert len(response.json()["data"]["recommendations"]["items"]) == 2
    mutation = 'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }'
    denied = client.post("/graphql", json={"query": mutation})
    assert denied.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    allowed = client.post("/graphql", json={"query": mutation}, headers={"X-API-Key": API_KEY})
    assert allowed.json()["data"] == {"notInterested": {"recorded": 1}}
    broken = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    typo = client.post("/graphql", json={"query": "{ recommendation(userId: 1) { x } }"})
    assert typo.status_code == 200 and typo.json()["errors"]
    metrics = client.get("/metrics").text
    # the compiled plan's answers and Strawberry's are counted by their status
    assert 'graphrec_requests_total{path="/graphql",status="200"} 4.0' in metrics
    assert 'graphrec_requests_total{path="/graphql",status="400"} 1.0' in metrics
    assert "graphrec_graphql_fast_total 1.0" in metrics


def test_a_fault_in_a_compiled_plan_is_answered_by_strawberry(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: FastPath, body: bytes) -> bytes | None:
        raise RuntimeError("a bug in a plan")

    monkeypatch.setattr(FastPath, "try_execute", broken)
    client = TestClient(App(service, operations=Operations.of(RECS)), raise_server_exceptions=False)
    response = client.post("/graphql", json={"query": RECS, "variables": {"user": "alice", "k": 2}})
    assert response.status_code == 200
    assert len(response.json()["data"]["recommendations"]["items"]) == 2


def test_schema_file_is_current() -> None:
    sdl = (Path(__file__).parents[2] / "api" / "schema.graphql").read_text()
    assert sdl == schema.as_str() + "\n", "api/schema.graphql is stale: run `graphrec schema`"


class Outage:
    """The real embedded store behind a switch that makes every call fail as an unreachable
    server would (fault injection: what the service does when the store goes away)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("store unreachable (injected outage)")
            return attribute(*args, **kwargs)

        return call


def test_store_outage_reads_go_on_writes_fail(
    store: GraphStore, shop_artifact: Path, tmp_path: Path
) -> None:
    outage = Outage(store)
    service = Service.open(outage, shop_artifact, config=served_config())  # type: ignore[arg-type]
    client = TestClient(App(service, api_key=API_KEY))
    outage.down = True
    assert client.get("/ready").status_code == 503
    for mutation in (
        'mutation { notInterested(userId: "alice", itemId: "mascara") { recorded } }',
        'mutation { putRule(input: {id: "r", action: PIN, itemId: "mascara"}) { id } }',
        'mutation { deleteRule(id: "r") { deleted } }',
    ):
        failed = client.post("/graphql", json={"query": mutation}, headers={"X-API-Key": API_KEY})
        assert failed.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", mutation
    assert service.rules() == []
    answer = recs(service, "alice")
    assert answer["degraded"] is True and answer["items"]
    assert "mascara" in ids(answer)  # the failed write changed nothing
    outage.down = False
    assert client.get("/ready").status_code == 200
    assert recs(service, "alice")["degraded"] is False


def test_store_down_at_start_serves_the_artifact(store: GraphStore, shop_artifact: Path) -> None:
    outage = Outage(store)
    outage.down = True
    service = Service.open(outage, shop_artifact, config=served_config())  # type: ignore[arg-type]
    answer = recs(service, "alice")
    assert answer["degraded"] is True
    assert answer["strategy"] == "PERSONALIZED" and answer["items"]


EVERY_OPERATION = [
    ('{ recommendations(userId: "bob", k: 2) { items { item { id } } } }', None),
    ('{ similarItems(itemId: "serum", k: 2) { item { id } } }', None),
    ('{ boughtTogether(itemId: "serum") { item { id } } }', None),
    ('{ complementsForCart(itemIds: ["serum"]) { item { id } } }', None),
    ("{ trending(k: 2) { item { id } } }", None),
    ('{ explain(userId: "bob", itemId: "toner") { kind } }', None),
    ('{ item(id: "serum") { title } user(id: "bob") { id } }', None),
    (
        'mutation { recordInteraction(input: {userId: "bob", itemId: "serum", kind: "view"})'
        " { recorded } }",
        API_KEY,
    ),
    (
        "mutation { recordInteractions(inputs: ["
        '{userId: "bob", itemId: "serum", kind: "view"}]) { recorded } }',
        API_KEY,
    ),
    ('mutation { notInterested(userId: "bob", itemId: "lipstick") { recorded } }', API_KEY),
    ('mutation { upsertItem(input: {id: "new", title: "New"}) { created } }', API_KEY),
    ('mutation { forgetUser(userId: "carol") { deleted } }', API_KEY),
    ("mutation { reloadGraph { items } }", API_KEY),
    ('mutation { putRule(input: {id: "r", action: BURY, brandId: "rouge"}) { id } }', API_KEY),
    ('mutation { deleteRule(id: "r") { deleted } }', API_KEY),
    ("{ rules { id } }", API_KEY),
]


@pytest.mark.parametrize(("query", "key"), EVERY_OPERATION)
def test_every_operation_over_http(service: Service, query: str, key: str | None) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    headers = {"X-API-Key": key} if key else {}
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert all(value is not None for value in body["data"].values())


def test_reload_picks_up_writes_that_bypassed_the_api(service: Service, store: GraphStore) -> None:
    store.write(
        GraphBatch(
            users=pa.table({"id": ["outsider"]}),
            interactions=interactions_table([("outsider", "toner", "purchase", 5.0, None, 500)]),
        )
    )
    assert ok(service, '{ user(id: "outsider") { id } }')["user"] is None  # not in memory yet
    swapped: list[Any] = []
    service.after_reload.append(lambda: swapped.append(service.engine))  # serve freezes here
    old_engine = service.engine
    reloaded = ok(service, "mutation { reloadGraph { items users } }", authorized=True)
    assert reloaded["reloadGraph"] == {"items": 6, "users": 5}
    assert swapped == [service.engine] and service.engine is not old_engine
    user = ok(service, '{ user(id: "outsider") { history { item { id } } } }')["user"]
    assert user == {"history": [{"item": {"id": "toner"}}]}
    assert recs(service, "outsider")["strategy"] == "PERSONALIZED"


def test_client_errors_are_logged_in_one_line_faults_with_their_traceback(
    service: Service, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(App(service), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        client.post("/graphql", json={"query": "{ recommendation(userId: 1) { x } }"})
        client.post(
            "/graphql",
            json={"query": '{ item(id: "serum") { title } user(id: "x", history: -1) { id } }'},
        )
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("client error: Cannot query field 'recommendation'")
    assert lines[0].endswith("(at line 1, column 3)") and "\n" not in lines[0]
    assert lines[1] == "client error: history must be in 0..1000, got -1 (at user)"
    assert all(r.exc_info is None for r in caplog.records)
    caplog.clear()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service.engine, "top_shoppers", broken)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        answer = client.post("/graphql", json={"query": "{ shoppers }"}).json()
    assert answer["errors"][0]["message"] == "Unexpected error."
    assert caplog.records[0].exc_info is not None  # a fault keeps its traceback


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
