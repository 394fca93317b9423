"""The GraphQL API's inputs (events, items, filters, rules) and the answers of its mutations."""

from __future__ import annotations

import enum

import strawberry

from graphrec.api.types import Item
from graphrec.rules import Rule
from graphrec.serving.options import RecFilter


@strawberry.input
class RecommendationFilter:
    categories: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only items in these categories or their sub-categories."
    )
    brands: list[strawberry.ID] | None = None
    in_stock_only: bool = True
    exclude_items: list[strawberry.ID] | None = None
    min_price: float | None = strawberry.field(
        default=None,
        description="Only items at this price or above (an item without a price "
        "is outside any range).",
    )
    max_price: float | None = strawberry.field(
        default=None, description="Only items at this price or below."
    )

    def as_filter(self) -> RecFilter:
        return RecFilter(
            categories=_strs(self.categories),
            brands=_strs(self.brands),
            in_stock_only=self.in_stock_only,
            exclude_items=_strs(self.exclude_items),
            min_price=self.min_price,
            max_price=self.max_price,
        )


def _strs(values: list[strawberry.ID] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


@strawberry.input
class InteractionInput:
    user_id: strawberry.ID
    item_id: strawberry.ID
    kind: str = strawberry.field(description="view, cart, purchase, rating, ...")
    ts: int | None = strawberry.field(default=None, description="Unix seconds; default now.")
    weight: float | None = None
    rating: float | None = None
    recommendation_id: str | None = strawberry.field(
        default=None, description="The answer that led to this event, for lift reports."
    )


@strawberry.input(
    description="A category the item is in, by id; a name left out keeps the name it has."
)
class CategoryInput:
    id: strawberry.ID
    name: str | None = None
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The category above it (a category of the shop, or one given before it in "
        "the same list): links a new category into the tree.",
    )


@strawberry.input(
    description="An item to add or change. Every field left out keeps what the item has (a new "
    "item: none, and in stock)."
)
class ItemInputGQL:
    id: strawberry.ID
    title: str | None = None
    price: float | None = None
    in_stock: bool | None = strawberry.field(
        default=None, description="Left out: as it was; a new item is in stock."
    )
    brand_id: strawberry.ID | None = strawberry.field(
        default=None, description="The item's brand; a brand not known yet is added."
    )
    brand_name: str | None = strawberry.field(
        default=None,
        description="Names the brand of brandId (needed with it: a name alone is refused); left "
        "out, the brand keeps its name.",
    )
    categories: list[CategoryInput] = strawberry.field(
        default_factory=list, description="Categories the item is added to (none are removed)."
    )


@strawberry.enum(
    description="pin: put the item at a position; boost: raise the score by the "
    "weight (in standard deviations of the candidates); bury: below every other candidate."
)
class RuleAction(enum.Enum):
    PIN = "pin"
    BOOST = "boost"
    BURY = "bury"


@strawberry.input(description="A business rule; name exactly one of itemId, brandId, categoryId.")
class RuleInput:
    id: strawberry.ID = strawberry.field(description="Putting a rule with a known id replaces it.")
    action: RuleAction
    item_id: strawberry.ID | None = None
    brand_id: strawberry.ID | None = None
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="The category and everything below it."
    )
    weight: float = 1.0
    position: int = strawberry.field(default=1, description="For pin: 1 is the top.")


@strawberry.type(description="A business rule in force.")
class BusinessRule:
    id: strawberry.ID | None
    action: RuleAction
    item_id: strawberry.ID | None
    brand_id: strawberry.ID | None
    category_id: strawberry.ID | None
    weight: float
    position: int
    source: str = strawberry.field(
        description="store (changed through putRule / deleteRule) or config (the rules file)."
    )

    @classmethod
    def of(cls, rule: Rule, source: str) -> BusinessRule:
        def as_id(value: str | None) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(value)

        return cls(
            id=as_id(rule.id),
            action=RuleAction(rule.action),
            item_id=as_id(rule.item),
            brand_id=as_id(rule.brand),
            category_id=as_id(rule.category),
            weight=rule.weight,
            position=rule.position,
            source=source,
        )


@strawberry.type
class RuleDeleted:
    id: strawberry.ID
    deleted: bool


@strawberry.type
class InteractionsRecorded:
    recorded: int
    users: list[strawberry.ID]


@strawberry.type
class UserForgotten:
    user_id: strawberry.ID
    deleted: bool


@strawberry.type
class ItemUpserted:
    item: Item
    created: bool


@strawberry.type
class GraphReloaded:
    items: int
    users: int
