"""The persisted operations' plans (graphrec.api.fast): the same answers as Strawberry, bound
arguments as graphql-core binds them, reused answers, and the reason writer's bytes."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import GraphQLError

from graphrec.api.fast import FastPath
from graphrec.api.operations import Operations
from graphrec.api.schema import schema
from graphrec.serving.event_writes import EventInput
from graphrec.serving.results import ReasonKind
from graphrec.serving.service import ItemInput, Service
from tests.api.helpers import RECS, USERS, ok

SIMILAR = 'query Sim { similarItems(itemId: "serum", k: 2) { __typename rank score item { id } } }'


TRENDING = (
    "query Tr { trending(k: 2) { item { id categories { id name } } reasons { kind text } } }"
)


def fast_path(service: Service) -> FastPath:
    """A fast path whose persisted operations are this module's documents."""
    return FastPath(schema, service, Operations.of(*TEST_DOCUMENTS))


def test_fast_path_answers_as_strawberry(service: Service) -> None:
    fast = fast_path(service)
    queries = [
        (RECS, {"user": "alice", "k": 4, "filter": {"inStockOnly": False}, "explore": 0.0}),
        (RECS, {"user": "nobody", "k": 3}),
        (SIMILAR, {}),
        (TRENDING, {}),
    ]
    for query, variables in queries:
        body = orjson.dumps({"query": query, "variables": variables})
        answer = fast.try_execute(body)
        assert answer is not None, query
        expected = ok(service, query, **variables)
        got = orjson.loads(answer)["data"]
        for data in (got, expected):
            if "recommendations" in data:
                data["recommendations"]["recommendationId"] = "-"
        assert got == expected
    # what the plans do not cover goes to Strawberry: documents not persisted, however
    # close to one, errors, mutations
    for other in (
        'mutation { forgetUser(userId: "a") { deleted } }',
        '{ similarItems(itemId: "serum", k: 2) { __typename rank score item { id } } }',
        SIMILAR + " ",
        'query S { similarItems(itemId: "nope") { rank } }',
    ):
        assert fast.try_execute(orjson.dumps({"query": other})) is None, other
    assert fast.try_execute(b"not json") is None
    assert len(fast.plans) == len(fast.operations)  # and no plan is made for them


SCALAR_VARIABLES = """
query Q($user: ID!, $k: Int = 3, $explore: Float, $diversity: Float = 0.5, $item: ID!) {
  recommendations(userId: $user, k: $k, explore: $explore, diversity: $diversity) { strategy }
  similarItems(itemId: $item) { rank }
  trending(categoryId: null, k: 2) { rank }
}"""


@pytest.mark.parametrize(
    "variables",
    [
        {"user": "alice", "item": "serum"},
        {"user": 7, "item": "serum", "k": 2, "explore": 0, "diversity": None},
        {"user": "alice", "item": "serum", "k": None, "explore": 0.25, "extra": [1]},
        # not plainly valid: graphql-core coerces them, or reports the error
        {"user": "alice", "item": "serum", "k": 2.0},
        {"user": "alice", "item": "serum", "k": 2**31},
        {"user": True, "item": "serum"},
        {"user": None, "item": "serum"},
        {"item": "serum"},
        {"user": "alice", "item": "serum", "explore": "0.1"},
        {"user": "alice", "item": "serum", "k": False},
        {"user": 1.5, "item": "serum"},
    ],
)
def test_plan_arguments_agree_with_graphql_core(service: Service, variables: Any) -> None:
    """Scalar variables are bound without graphql-core; wherever that binding answers, it is
    graphql-core's, and where it does not, graphql-core's coercion runs and reports."""
    from graphql.execution.values import get_argument_values, get_variable_values

    fast = fast_path(service)
    plan = fast.plan(SCALAR_VARIABLES)
    assert plan is not None and plan.arguments is not None
    coerced = get_variable_values(fast.schema, plan.operation.variable_definitions, variables)
    if isinstance(coerced, list):
        expected = None
    else:
        try:
            expected = [get_argument_values(f, n, coerced) for _, _, n, f, _ in plan.roots]
        except GraphQLError:
            expected = None
    bound = plan.arguments(variables)
    assert bound is None or bound == expected
    assert plan.bind(variables) == expected
    if expected is None:  # Strawberry answers, with the error
        assert (
            fast.try_execute(orjson.dumps({"query": SCALAR_VARIABLES, "variables": variables}))
            is None
        )


def test_plan_arguments_bind_without_graphql_core(service: Service) -> None:
    fast = fast_path(service)
    plan = fast.plan(SCALAR_VARIABLES)
    assert plan is not None and plan.arguments is not None
    assert plan.arguments({"user": 7, "item": "serum", "explore": 0}) == [
        {"userId": "7", "k": 3, "filter": None, "explore": 0.0, "diversity": 0.5},
        {"itemId": "serum", "k": 10, "filter": None},
        {"categoryId": None, "k": 2, "filter": None},
    ]
    assert plan.arguments({"user": "7", "item": "serum", "k": 2.0}) is None  # graphql-core's
    # a document with an input-object variable is bound by graphql-core alone
    recs = fast.plan(RECS)
    assert recs is not None and recs.arguments is None


def test_plans_keep_the_json_of_shared_reasons_only(service: Service) -> None:
    """Trending and popular reasons are shared between answers: a plan serialising the objects
    keeps their JSON on them (and answers as Strawberry does); a shopper's own reasons are
    serialised each time. (The plan's own answers have their reasons written as JSON.)"""
    fast = fast_path(service)
    for user in ("somebody-new", "somebody-new", "bob"):
        body = orjson.dumps({"query": RECS, "variables": {"user": user, "k": 4, "explore": 0.0}})
        answer = orjson.loads(fast.try_execute(body) or b"")["data"]
        expected = ok(service, RECS, user=user, k=4, explore=0.0)
        for data in (answer, expected):
            data["recommendations"]["recommendationId"] = "-"
        assert answer == expected
    engine = service.engine
    engine.config = dataclasses.replace(engine.config, min_support=1)  # a tiny shop
    plan = fast.plan(RECS)
    assert plan is not None
    answer = engine.recommend("bob", 4, explore=0.0)
    plan.roots[0][4](answer)  # serialise it
    reasons = [reason for item in answer.items for reason in item.reasons]
    kinds = {reason.kind for reason in reasons}
    assert ReasonKind.POPULAR in kinds and ReasonKind.SIMILAR_SHOPPERS in kinds
    for reason in reasons:
        kept = any(key.startswith("_plan") for key in vars(reason))
        assert kept == (reason.kind is ReasonKind.POPULAR), reason


def test_reused_answers_are_bounded_by_bytes_and_age(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graphrec.api.fast as fast_module

    config = service.engine.config

    def body(user: str) -> bytes:
        return orjson.dumps({"query": RECS, "variables": {"user": user, "k": 3}})

    def users(fast: FastPath) -> list[str]:
        return [orjson.loads(key[1])["user"] for key in fast.answers]

    size = {u: len(fast_path(service).try_execute(body(u)) or b"") for u in USERS}
    fast = fast_path(service)
    config.answer_cache_bytes = size["carol"] + size["dave"] + 1  # not bob's as well
    for user in ("bob", "carol", "dave"):
        fast.try_execute(body(user))
    assert users(fast) == ["carol", "dave"]  # the oldest went first
    assert fast.answer_bytes == size["carol"] + size["dave"]
    fast.try_execute(body("dave"))  # reused: nothing changes
    assert fast.hits == 1 and users(fast) == ["carol", "dave"]
    later = fast_module.time.monotonic() + config.answer_ttl_s + 1
    monkeypatch.setattr(fast_module.time, "monotonic", lambda: later)
    fast.try_execute(body("alice"))  # the others are past their time: storing this drops them
    assert users(fast) == ["alice"] and fast.answer_bytes == size["alice"]


def test_the_answer_ring_wraps_bodies_and_gives_way_oldest_first() -> None:
    from graphrec.api.fast import AnswerRing

    ring = AnswerRing()

    def put(key: str, body: bytes, at: float = 0.0, ttl: float = 60.0, count: int = 10) -> None:
        ring.put((key,), body, (at, "rec", "u", "personalized", ()), ttl, count, 10)

    def kept() -> dict[str, bytes]:
        return {key[0]: ring.body(entry) for key, entry in ring.items()}

    put("a", b"aaaa")
    put("b", b"bbbb")
    put("c", b"cccc")  # no room after a and b: a gives way; c wraps round the end
    assert kept() == {"b": b"bbbb", "c": b"cccc"} and ring.bytes == 8
    assert ring.get(("c",))[5:] == (8, 4)  # type: ignore[index]
    ring.drop(("b",))  # a hole: c is now the oldest
    put("d", b"ddddd")
    assert kept() == {"c": b"cccc", "d": b"ddddd"} and ring.bytes == 9
    put("e", b"eee")  # d starts 6 bytes after c: c gives way, e fits before the end
    assert kept() == {"d": b"ddddd", "e": b"eee"}
    put("d", b"DD")  # a new body for a kept answer replaces it
    assert kept() == {"e": b"eee", "d": b"DD"} and ring.bytes == 5
    put("f", b"f" * 11)  # larger than the ring: not kept, nothing else lost
    assert kept() == {"e": b"eee", "d": b"DD"}
    put("g", b"g", count=2)  # at most two answers
    assert kept() == {"d": b"DD", "g": b"g"}
    put("h", b"h", at=100.0)  # the others are past their time
    assert kept() == {"h": b"h"} and ring.bytes == 1


def test_fast_path_reuses_an_answer_until_the_shopper_acts(
    service: Service, tmp_path: Path
) -> None:
    fast = fast_path(service)
    body = orjson.dumps({"query": RECS, "variables": {"user": "alice", "k": 3}})
    first = orjson.loads(fast.try_execute(body) or b"")["data"]["recommendations"]
    second = orjson.loads(fast.try_execute(body) or b"")["data"]["recommendations"]
    assert (fast.misses, fast.hits) == (1, 1)
    assert second["recommendationId"] != first["recommendationId"]
    assert second["items"] == first["items"]
    served = (tmp_path / "log" / "served.jsonl").read_text().splitlines()
    assert [orjson.loads(line)["rec"] for line in served][-2:] == [
        first["recommendationId"],
        second["recommendationId"],
    ]
    top = first["items"][0]["item"]["id"]
    service.record([EventInput("alice", top, "purchase")])
    third = orjson.loads(fast.try_execute(body) or b"")["data"]["recommendations"]
    assert (fast.misses, fast.hits) == (2, 1)
    assert top not in [r["item"]["id"] for r in third["items"]]
    no_id = orjson.dumps({"query": NO_ID})
    fast.try_execute(no_id)
    fast.try_execute(no_id)
    assert fast.hits == 1  # an answer without its id is not reused


NO_ID = 'query NoId { recommendations(userId: "bob") { items { rank } } }'


def test_a_privacy_delete_retires_every_reused_answer(service: Service) -> None:
    # dave is the one other shopper with lipstick and mascara: alice's answer counts him
    # (never by name)
    service.engine.config = dataclasses.replace(service.engine.config, min_support=1)
    fast = fast_path(service)
    body = orjson.dumps(
        {"query": RECS, "variables": {"user": "alice", "k": 5, "filter": {"inStockOnly": False}}}
    )
    counted = b"1 shopper who chose Red Lipstick also chose this"
    before = fast.try_execute(body) or b""
    assert counted in before and b'"dave"' not in before
    service.forget_user("dave")
    after = fast.try_execute(body) or b""
    assert (fast.misses, fast.hits) == (2, 0)
    assert counted not in after


def test_serving_leaves_the_garbage_collector_little_to_walk(service: Service) -> None:
    # what answers share is made at load (so a server freezes it with what it loaded) ...
    engine = service.engine
    assert len(engine.item_views) == len(engine.explainer.item_nodes) == engine.live.num_items
    assert len(engine.live._shopper_sets) == engine.live.num_items
    # ... and a kept answer holds only atomic values: the collector stops tracking it
    fast = fast_path(service)
    for user in ("alice", "bob", "carol", "dave", "nobody"):
        fast.try_execute(orjson.dumps({"query": RECS, "variables": {"user": user, "k": 3}}))
    gc.collect()  # untracks the inner tuples ...
    gc.collect()  # ... then the tuples that hold them
    assert len(fast.answers) == 5
    assert not any(
        gc.is_tracked(entry) or gc.is_tracked(key) for key, entry in fast.answers.items()
    )


WRITTEN = [
    RECS,
    # aliases, __typename, fields in another order, no text, the path only in part
    """query W($user: ID!, $k: Int!, $explore: Float) {
      recommendations(userId: $user, k: $k, explore: $explore) {
        recommendationId
        items { why: reasons { __typename s: support kind
                  path { relationships { weight kind end start type __typename }
                         nodes { name n2: name id __typename } } } rank } } }""",
    """query T($user: ID!, $k: Int!, $explore: Float) {
      recommendations(userId: $user, k: $k, explore: $explore) {
        items { reasons { text } } } }""",
    # a recommendation's fields aliased and in another order, __typename, the item in part
    """query E($user: ID!, $k: Int!, $explore: Float) {
      recommendations(userId: $user, k: $k, explore: $explore) {
        items { __typename r: rank product: item { __typename price categories { name id }
                title inStock } reasons { kind } s: score } } }""",
]


@pytest.mark.parametrize("query", WRITTEN)
def test_written_reasons_are_the_bytes_of_the_objects(
    service: Service, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """A plan's ReasonWriter writes each reason as the plan serialises the engine's objects,
    byte for byte: every kind (exploration with a fixed answer id, a cold start's trending
    reasons, the control group's popularity), before and after a live event, an edited and a
    new item (with a new brand and category), a new shopper who becomes the other shopper of a
    reason, and a privacy delete; its tables follow each change in place."""
    import graphrec.serving.engine as engine_module

    monkeypatch.setattr(engine_module, "new_id", lambda: "fixed")  # the same exploration
    service.engine.config.explore_bandit = False  # ... which a learning bandit would change
    fast = fast_path(service)
    plan = fast.plan(query)
    assert plan is not None and plan.writers[0] is not None
    writer = plan.writers[0]
    serialize, engine = plan.roots[0][4], service.engine
    seen, tables = set(), None
    for step in range(4):
        for user in ("alice", "bob", "carol", "dave", "erin", "somebody-new"):
            for explore in (0.0, 0.5):
                written = engine.recommend(user, 3, explore=explore, writer=writer)
                assert type(written.items_json) is orjson.Fragment and written.items == [], step
                made = engine.recommend(user, 3, explore=explore)
                seen.update(reason.kind for r in made.items for reason in r.reasons)
                assert orjson.dumps(serialize(written)) == orjson.dumps(serialize(made)), user
        tables = tables or writer.tables
        assert writer.tables is tables  # kept in step, not made again
        if step == 0:  # the stored common shoppers no longer hold for these items; and an
            # event kind never seen before (its verb and name join the writer's kinds)
            service.record(
                [
                    EventInput(user_id="carol", item_id="cream", kind="view", ts=10_000),
                    EventInput(user_id="alice", item_id="brush", kind="wishlist", ts=10_001),
                ]
            )
        elif step == 1:  # an item renamed, one added under a new brand and category
            service.upsert_item(ItemInput(id="serum", title='Serum "Hydra" \u00e9'))
            service.upsert_item(
                ItemInput(
                    id="balm",
                    title="Lip Balm",
                    brand_id="mellow",
                    brand_name="Mellow",
                    categories=(("Makeup > Lips > Balms", "Balms"),),
                )
            )
            service.record(
                [  # a shopper the tables were not made with, who shares items with others
                    EventInput(user_id="erin", item_id=item, kind="purchase", ts=20_000 + n)
                    for n, item in enumerate(("balm", "lipstick", "serum", "cream"))
                ]
            )
        elif step == 2:
            assert service.forget_user("bob")
    live = engine.live

    def row(table: int, index: int) -> bytes:
        at = tables.bases[table] + index * tables.strides[table]
        return tables.blob[tables.starts[at] : tables.ends[at]].tobytes()

    assert row(1, live.item_index["serum"]) == orjson.dumps('Serum "Hydra" \u00e9')
    assert row(5, live.brand_index["mellow"]) == b'"Mellow"'
    assert row(3, live.user_index["erin"]) == b'"erin"'
    assert row(3, live.user_ids.index(None)) == b'""'  # bob, forgotten
    assert {ReasonKind.EXPLORATION, ReasonKind.SIMILAR_SHOPPERS, ReasonKind.POPULAR} <= seen, seen
    assert "wishlist" in writer.kinds and b"wished for" in writer.kind_blob.tobytes()


def test_item_rows_follow_upserts_and_start_afresh_when_mostly_replaced(service: Service) -> None:
    """Each item's JSON row is the serialiser's of its current view: made once, made again
    after an upsert, and the blob laid out afresh (rows still right) once most of it is text
    that was replaced."""
    from graphrec.serving.render import ItemRows

    engine = service.engine
    made: list[str] = []

    def serialize(item: Any) -> Any:
        made.append(item.id)
        return {"id": item.id, "title": item.title}

    rows = ItemRows(serialize)

    def row(index: int) -> Any:
        return orjson.loads(rows.blob[rows.starts[index] : rows.ends[index]].tobytes())

    rows.rows(engine)
    assert sorted(made) == sorted(engine.live.item_ids)  # every item's, at once
    serum = engine.live.item_index["serum"]
    assert row(serum) == {"id": "serum", "title": engine.item(serum).title}
    used = rows.used
    rows.rows(engine)
    assert rows.used == used and len(made) == engine.live.num_items  # nothing made again
    layouts = set()
    for n in range(400):  # each a long new title: the blob fills with replaced text
        # (the memory side of Service.upsert_item, without 400 writes to the store)
        engine.live.upsert_item("serum", f"Serum {n} " + "x" * 400, None, True, None, [])
        engine.item_changed(serum, new=False)
        made.clear()
        rows.rows(engine)
        layouts.add(id(rows.blob))
        # serum's row, or (no room for it) every row afresh after it
        assert made == ["serum"] or sorted(made[1:]) == sorted(engine.live.item_ids)
        assert row(serum)["title"].startswith(f"Serum {n} ")
    # laid out afresh: far less text kept than the 400 titles made (160 KB)
    assert rows.written <= rows.used < 100_000 and len(layouts) > 1
    rows.rows(engine)  # still right after the fresh starts
    for index in range(engine.live.num_items):
        assert row(index)["id"] == engine.live.item_ids[index]


#: every document this module's fast paths hold as persisted operations
TEST_DOCUMENTS = [*WRITTEN, SCALAR_VARIABLES, SIMILAR, TRENDING, NO_ID]


def test_a_rebuilt_engine_finds_its_tables_made_before_the_swap(service: Service) -> None:
    fast = fast_path(service)
    service.before_swap.append(fast.prepare)
    plan = fast.plan(RECS)
    assert plan is not None and plan.writers[0] is not None
    writer = plan.writers[0]
    body = orjson.dumps({"query": RECS, "variables": {"user": "alice", "k": 3}})
    before = orjson.loads(fast.try_execute(body) or b"")
    old_tables = writer.tables
    engine = service.reload()
    assert writer.next is not None and writer.next[0] is engine  # made in the rebuild
    prepared = writer.next[1]
    after = orjson.loads(fast.try_execute(body) or b"")
    assert writer.tables is prepared and writer.tables is not old_tables and writer.next is None
    for answer in (before, after):
        answer["data"]["recommendations"]["recommendationId"] = "-"
    assert after == before  # the same data, the same answer
