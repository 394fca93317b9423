"""The GraphQL types of serving's answers.

Serving answers with plain dataclasses (:mod:`graphrec.serving.results`); these Strawberry types
present them, field by field: Strawberry's default resolver reads each field as an attribute of
whatever the resolver returned, so no answer is copied into them. A test keeps the two in step.
"""

from __future__ import annotations

import strawberry

from graphrec.serving import results

ReasonKind = strawberry.enum(
    results.ReasonKind, description="Why an item is recommended; each kind is a shape of path."
)
Strategy = strawberry.enum(results.Strategy, description="How an answer was made.")


@strawberry.type(
    description="A node on a path: its label, id and display name. Other shoppers are one node "
    "(label Shoppers, empty id, their number as its name): no path names another shopper."
)
class PathNode:
    label: str = strawberry.field(description="User, Item, Brand, Category, or Shoppers.")
    id: strawberry.ID
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
    kind: ReasonKind  # type: ignore[valid-type]
    text: str = strawberry.field(description="A sentence for shoppers.")
    support: float = strawberry.field(description="Shoppers, score or count behind the reason.")
    path: Path


@strawberry.type
class Brand:
    id: strawberry.ID
    name: str | None


@strawberry.type
class Category:
    id: strawberry.ID
    name: str | None


@strawberry.type
class Item:
    id: strawberry.ID
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
    cart_item: Item | None = strawberry.field(
        default=None,
        description="complementsForCart: the cart item whose partners brought it; else null.",
    )


@strawberry.type
class Recommendations:
    recommendation_id: str = strawberry.field(
        description="Pass it with later events to attribute them to this answer."
    )
    user_id: str
    strategy: Strategy  # type: ignore[valid-type]
    items: list[Recommendation]
    degraded: bool = strawberry.field(
        description="True when the store is unreachable and the answer comes from memory only."
    )
    model_version: str = strawberry.field(
        default="", description="The model version that made this answer (graphrec models list)."
    )


@strawberry.type
class UserEvent:
    item: Item
    kind: str
    ts: int


@strawberry.type
class User:
    id: strawberry.ID
    known_to_model: bool
    history: list[UserEvent] = strawberry.field(description="Newest first.")


#: Each GraphQL type and the serving dataclass it presents.
PRESENTS: dict[str, type] = {
    "PathNode": results.PathNode,
    "PathRelationship": results.PathRelationship,
    "Path": results.Path,
    "Reason": results.Reason,
    "Brand": results.Brand,
    "Category": results.Category,
    "Item": results.Item,
    "Recommendation": results.Recommendation,
    "Recommendations": results.Recommendations,
    "UserEvent": results.UserEvent,
    "User": results.User,
    "InteractionsRecorded": results.EventsRecorded,
}


@strawberry.type(description="A shopper who chose many of the same items (merchandisers).")
class SimilarShopper:
    user_id: strawberry.ID
    shared_items: int = strawberry.field(description="Items both chose.")
