"""Writes through the API on the known shop: events, privacy deletes, items, rules; bad ones change
nothing.

The shop: alice bought serum and cream and viewed lipstick; bob bought serum and cream and put
toner (out of stock) in his cart; carol bought serum and toner and rated mascara; dave bought
lipstick and mascara. BOUGHT_WITH (intent kinds, >= 2 shoppers): serum-cream 2, serum-toner 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graphrec.errors import ConfigError
from graphrec.rules import Rule, load_rules
from graphrec.serving.service import Service
from graphrec.store.base import GraphStore
from tests.api.helpers import assert_path_in_store, error_code, ids, ok, recs, run
from tests.graphs import served_config


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
    assert ok(service, '{ user(id: "dave") { id } }', True)["user"] is None
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
    # naming a known brand and category by id alone keeps their names, for every item
    ok(
        service,
        'mutation { upsertItem(input: {id: "brush", brandId: "glow", '
        'categories: [{id: "Skin Care"}]}) { created } }',
        authorized=True,
    )
    serum = store.get_item("serum")
    assert serum is not None and serum["brand"] == {"id": "glow", "name": "Glow"}
    brush = store.get_item("brush")
    assert brush is not None and brush["brand"] == {"id": "glow", "name": "Glow"}
    assert {"id": "Skin Care", "name": "Skin Care"} in brush["categories"]


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
        ('{ explain(userId: "nobody", itemId: "serum") { kind } }', "NOT_FOUND"),
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
    assert run(service, too_deep, authorized=True).errors is None


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


def test_a_new_category_path_is_linked_into_the_tree(service: Service, store: GraphStore) -> None:
    upsert = (
        'mutation { upsertItem(input: {id: "shampoo", title: "Shampoo", categories: ['
        '{id: "Hair", name: "Hair"}, '
        '{id: "Hair > Washing", name: "Washing", parentId: "Hair"}]}) { created } }'
    )
    assert ok(service, upsert, authorized=True)["upsertItem"]["created"]
    parents = pa.Table.from_batches(list(store.stream("category_parents"))).to_pylist()
    assert {"category_id": "Hair > Washing", "parent_id": "Hair"} in parents
    live = service.engine.live
    washing, hair = live.category_index["Hair > Washing"], live.category_index["Hair"]
    assert live.category_parent[washing] == hair and live.category_names[washing] == "Washing"
    # the item is found under its new top category
    under = ok(service, '{ trending(categoryId: "Hair", k: 5) { item { id } } }')["trending"]
    assert [r["item"]["id"] for r in under] == ["shampoo"]
    # a parent the shop does not have is refused, and nothing changes
    dangling = (
        'mutation { upsertItem(input: {id: "comb", categories: '
        '[{id: "Hair > Combs", parentId: "Nowhere"}]}) { created } }'
    )
    result = run(service, dangling, authorized=True)
    assert error_code(result) == "BAD_INPUT" and "Nowhere" in result.errors[0].message
    assert store.get_item("comb") is None and "comb" not in live.item_index
