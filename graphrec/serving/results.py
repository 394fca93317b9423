"""What the engine answers with. They are the GraphQL types too: no copying between layers."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry


@strawberry.enum(description="Why an item is recommended; each kind is a shape of path.")
class ReasonKind(Enum):
    BOUGHT_WITH = "bought_with"
    SIMILAR_SHOPPERS = "similar_shoppers"
    SIMILAR_ITEM = "similar_item"
    SAME_BRAND = "same_brand"
    SAME_CATEGORY = "same_category"
    TRENDING = "trending"
    POPULAR = "popular"
    EXPLORATION = "exploration"


@strawberry.enum(description="How an answer was made.")
class Strategy(Enum):
    PERSONALIZED = "personalized"
    CONTROL = "control"
    COLD_START = "cold_start"


@strawberry.type(description="A node on a path: its label, id and display name.")
class PathNode:
    label: str
    id: str = strawberry.field(graphql_type=strawberry.ID)
    name: str | None


@strawberry.type(description="A relationship on a path, between nodes[start] and nodes[end].")
class PathRelationship:
    type: str
    start: int
    end: int
    kind: str | None = strawberry.field(default=None, description="INTERACTED: view, purchase, ...")
    weight: float | None = strawberry.field(
        default=None, description="BOUGHT_WITH: shoppers; SIMILAR_TO: score."
    )


@strawberry.type(description="An ordered path that exists in the graph.")
class Path:
    nodes: list[PathNode]
    relationships: list[PathRelationship]


@strawberry.type
class Reason:
    kind: ReasonKind
    text: str = strawberry.field(description="A sentence for shoppers.")
    support: float = strawberry.field(description="Shoppers, score or count behind the reason.")
    path: Path


@strawberry.type
class Brand:
    id: str = strawberry.field(graphql_type=strawberry.ID)
    name: str | None


@strawberry.type
class Category:
    id: str = strawberry.field(graphql_type=strawberry.ID)
    name: str | None


@strawberry.type
class Item:
    id: str = strawberry.field(graphql_type=strawberry.ID)
    title: str | None
    price: float | None
    in_stock: bool
    brand: Brand | None
    category: Category | None = strawberry.field(description="The item's first category.")
    categories: list[Category]


@strawberry.type
class Recommendation:
    item: Item
    score: float
    rank: int
    reasons: list[Reason] = strawberry.field(description="Strongest first.")


@strawberry.type
class Recommendations:
    recommendation_id: str = strawberry.field(
        description="Pass it with later events to attribute them to this answer."
    )
    user_id: str
    strategy: Strategy
    items: list[Recommendation]
    degraded: bool = strawberry.field(
        description="True when the store is unreachable and the answer comes from memory only."
    )
    model_version: str = strawberry.field(
        default="", description="The model version that made this answer (graphrec models list)."
    )
    #: The items' ids, in order (for the logs and the answer cache).
    item_ids: strawberry.Private[list[str]] = dataclasses.field(default_factory=list)
    #: The items as a compiled plan's writer wrote them (``items`` is then empty), or None.
    items_json: strawberry.Private[Any] = None


@strawberry.type
class UserEvent:
    item: Item
    kind: str
    ts: int


@strawberry.type
class User:
    id: str = strawberry.field(graphql_type=strawberry.ID)
    known_to_model: bool
    history: list[UserEvent] = strawberry.field(description="Newest first.")


#: Set in the ``__dict__`` of an object that the engine shares between answers and never
#: changes (see :func:`share`): serialisers may keep its JSON on it.
SHARED_MARK = "_shared"


def share(obj: Any) -> Any:
    """Mark ``obj`` as shared between answers and never changed."""
    obj.__dict__[SHARED_MARK] = True
    return obj


# -- fast constructors -------------------------------------------------------------------------
# Strawberry's types are dataclasses with keyword-only ``__init__``s, which cost twice what
# setting the attributes does; an answer makes about 50 reasons, their paths and 20
# recommendations, so the hot path builds them with these (same objects, same fields).
_new = object.__new__


def new_path(nodes: list[PathNode], relationships: list[PathRelationship]) -> Path:
    path = _new(Path)
    path.nodes = nodes
    path.relationships = relationships
    return path


def new_reason(kind: ReasonKind, text: str, support: float, path: Path) -> Reason:
    reason = _new(Reason)
    reason.kind = kind
    reason.text = text
    reason.support = support
    reason.path = path
    return reason


def new_recommendation(item: Item, score: float, rank: int, reasons: Any) -> Recommendation:
    """``reasons``: a list of :class:`Reason`, or their JSON (an ``orjson.Fragment``) for
    the compiled plans alone."""
    recommendation = _new(Recommendation)
    recommendation.item = item
    recommendation.score = score
    recommendation.rank = rank
    recommendation.reasons = reasons
    return recommendation


def new_node(label: str, id: str, name: str | None) -> PathNode:  # noqa: A002 - the field
    node = _new(PathNode)
    node.label = label
    node.id = id
    node.name = name
    return node


def new_relationship(
    type: str,  # noqa: A002 - the field
    start: int,
    end: int,
    kind: str | None = None,
    weight: float | None = None,
) -> PathRelationship:
    relationship = _new(PathRelationship)
    relationship.type = type
    relationship.start = start
    relationship.end = end
    relationship.kind = kind
    relationship.weight = weight
    return relationship
