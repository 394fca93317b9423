"""What the API tests share: the recommendations query and helpers to run documents."""

from __future__ import annotations

import asyncio
from typing import Any

from graphrec.api.errors import ADMIN
from graphrec.api.schema import schema
from graphrec.serving.service import Service
from graphrec.store.base import GraphStore

RECS = """
query Recs($user: ID!, $k: Int!, $filter: RecommendationFilter, $explore: Float,
           $diversity: Float) {
  recommendations(userId: $user, k: $k, filter: $filter, explore: $explore,
                  diversity: $diversity) {
    recommendationId strategy degraded
    items { rank score item { id title inStock brand { id name } category { id name } }
            reasons { kind text support
                      path { nodes { label id name } relationships { type start end kind weight } }
            } }
  }
}"""


USERS = ("alice", "bob", "carol", "dave")


def run(service: Service, query: str, authorized: bool = False, **variables: Any) -> Any:
    """The schema's answer, as the server executes it (writes are async: they commit in a
    worker thread while answers go on)."""
    context = {"service": service, "role": ADMIN if authorized else None}
    return asyncio.run(schema.execute(query, variable_values=variables, context_value=context))


def ok(service: Service, query: str, authorized: bool = False, **variables: Any) -> Any:
    result = run(service, query, authorized, **variables)
    assert result.errors is None, result.errors
    return result.data


def error_code(result: Any) -> str:
    assert result.errors, "expected an error"
    return str(result.errors[0].extensions.get("code"))


def recs(service: Service, user: str, k: int = 5, **extra: Any) -> dict[str, Any]:
    return ok(service, RECS, user=user, k=k, **extra)["recommendations"]


def ids(answer: dict[str, Any]) -> list[str]:
    return [r["item"]["id"] for r in answer["items"]]


def assert_path_in_store(store: GraphStore, path: dict[str, Any]) -> None:
    """Every relationship of the path exists in the store, in its direction. Other shoppers
    appear as one node (label Shoppers, no id) whose name is how many other shoppers (not the
    path's user) chose both items it links."""
    nodes = path["nodes"]
    for at, node in enumerate(nodes):
        if node["label"] == "Shoppers":
            assert node["id"] == ""  # never one shopper by id
            items = [nodes[r["end"]]["id"] for r in path["relationships"] if r["start"] == at]
            asker = nodes[0]["id"]
            both = shoppers_of(store, items[0]) & shoppers_of(store, items[1]) - {asker}
            if "name" in node:  # where the query selects it
                assert int(node["name"].split()[0]) == len(both), (node, both)
    for rel in path["relationships"]:
        start, end = nodes[rel["start"]], nodes[rel["end"]]
        if start["label"] == "Shoppers":
            continue  # checked above, as a count
        if rel["type"] == "INTERACTED":
            assert (start["label"], end["label"]) == ("User", "Item")
            had = {i.item_id for i in store.recent_interactions(start["id"], 1000)}
            assert end["id"] in had, f"{start['id']} never had {end['id']}"
        elif rel["type"] == "BOUGHT_WITH":
            assert end["id"] in dict(store.bought_with(start["id"], 100))
        elif rel["type"] == "SIMILAR_TO":
            assert end["id"] in dict(store.similar_to(start["id"], 100))
        elif rel["type"] == "MADE_BY":
            item = store.get_item(start["id"])
            assert item is not None and item["brand"]["id"] == end["id"]
        elif rel["type"] == "IN_CATEGORY":
            item = store.get_item(start["id"])
            assert item is not None
            assert end["id"] in {c["id"] for c in item["categories"]}
        else:
            raise AssertionError(f"unexpected relationship {rel['type']}")
        assert end["label"] in {"Item", "Brand", "Category"}


def shoppers_of(store: GraphStore, item_id: str) -> set[str]:
    """The users with an interaction (of interest) with the item, from the store."""
    shoppers = set()
    for batch in store.stream("interactions"):
        for row in batch.to_pylist():
            if row["item_id"] == item_id and row["kind"] != "not_interested":
                shoppers.add(row["user_id"])
    return shoppers
