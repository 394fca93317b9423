"""rank (a given list for one shopper) and similarShoppers (merchandisers), on both stores; an
unknown id is NOT_FOUND on every query that takes one."""

from __future__ import annotations

import pytest

from graphrec.serving.service import Service
from tests.api.helpers import error_code, ok, recs, run

RANK = """query Rank($user: ID!, $items: [ID!]!, $filter: RecommendationFilter) {
  rank(userId: $user, itemIds: $items, filter: $filter) {
    strategy recommendationId items { item { id } rank reasons { kind } }
  }
}"""


def ranked(service: Service, user: str, items: list[str], **extra: object) -> list[str]:
    answer = ok(service, RANK, user=user, items=items, **extra)["rank"]
    return [r["item"]["id"] for r in answer["items"]]


def test_rank_orders_a_given_list_as_the_shoppers_recommendations_do(service: Service) -> None:
    best = [r["item"]["id"] for r in recs(service, "dave", k=3)["items"]]
    assert ranked(service, "dave", best[::-1]) == best  # the shop's order does not count
    answer = ok(service, RANK, user="dave", items=["brush", "lipstick", "serum"])["rank"]
    assert answer["strategy"] == "PERSONALIZED" and answer["recommendationId"]
    assert all(r["reasons"] for r in answer["items"])
    # what dave had is ranked too; the toner is out of stock, left out unless asked for
    assert set(ranked(service, "dave", ["lipstick", "toner", "serum"])) == {"lipstick", "serum"}
    every = ranked(service, "dave", ["lipstick", "toner"], filter={"inStockOnly": False})
    assert set(every) == {"lipstick", "toner"}
    # a shopper graphrec does not know: by trend, as their recommendations would be
    assert ranked(service, "newcomer", ["lipstick", "mascara"]) == ["mascara", "lipstick"]
    result = run(service, RANK, user="dave", items=["serum", "no-such-item"])
    assert error_code(result) == "NOT_FOUND" and "no-such-item" in result.errors[0].message
    assert error_code(run(service, RANK, user="dave", items=[])) == "BAD_INPUT"


SIMILAR = "query S($user: ID!) { similarShoppers(userId: $user) { userId sharedItems } }"


def test_similar_shoppers_share_the_most_items(service: Service) -> None:
    assert error_code(run(service, SIMILAR, user="alice")) == "UNAUTHORIZED"
    answer = ok(service, SIMILAR, authorized=True, user="alice")["similarShoppers"]
    # alice chose the serum, the cream and (a view) the lipstick: bob had two of them
    assert answer == [
        {"userId": "bob", "sharedItems": 2},
        {"userId": "carol", "sharedItems": 1},
        {"userId": "dave", "sharedItems": 1},
    ]
    assert error_code(run(service, SIMILAR, authorized=True, user="nobody")) == "NOT_FOUND"


@pytest.mark.parametrize(
    "query",
    [
        '{ similarItems(itemId: "nope") { score } }',
        '{ boughtTogether(itemId: "nope") { score } }',
        '{ complementsForCart(itemIds: ["serum", "nope"]) { score } }',
        '{ trending(categoryId: "nope") { score } }',
        '{ explain(userId: "alice", itemId: "nope") { kind } }',
        '{ explain(userId: "nope", itemId: "serum") { kind } }',
        '{ rank(userId: "alice", itemIds: ["nope"]) { userId } }',
        '{ recommendations(userId: "alice", filter: {categories: ["nope"]}) { userId } }',
    ],
)
def test_unknown_ids_are_not_found(service: Service, query: str) -> None:
    result = run(service, query, authorized=True)
    assert error_code(result) == "NOT_FOUND" and "'nope'" in result.errors[0].message


def test_not_interested_never_makes_a_shopper_similar(service: Service) -> None:
    """Negative feedback is never interest: eve, who marked both of dave's items not
    interesting, shares none of them."""
    before = ok(service, SIMILAR, authorized=True, user="dave")["similarShoppers"]
    for item in ("lipstick", "mascara"):
        ok(
            service,
            'mutation($item: ID!) { notInterested(userId: "eve", itemId: $item) { recorded } }',
            authorized=True,
            item=item,
        )
    assert ok(service, SIMILAR, authorized=True, user="dave")["similarShoppers"] == before
    assert ok(service, SIMILAR, authorized=True, user="eve")["similarShoppers"] == []
