"""The GraphQL schema: queries for shop frontends, mutations for events and the catalogue.

Expected failures (unknown ids, bad arguments, a missing API key, an unreachable store) come back
as GraphQL errors whose ``extensions.code`` names the kind (NOT_FOUND, BAD_INPUT, UNAUTHORIZED,
STORE_UNAVAILABLE); anything unexpected is masked to "Unexpected error." without a trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.types import Info

from graphrec.api.admin import AdminMutation
from graphrec.api.errors import CanRecord, IsAdmin, service_of, typed_errors
from graphrec.api.inputs import (
    BusinessRule,
    GraphReloaded,
    InteractionInput,
    InteractionsRecorded,
    ItemInputGQL,
    ItemUpserted,
    RecommendationFilter,
    RuleDeleted,
    RuleInput,
    UserForgotten,
)
from graphrec.api.limits import MAX_TOKENS, DocumentLimits
from graphrec.api.types import (
    Item,
    Reason,
    Recommendation,
    Recommendations,
    SimilarShopper,
    User,
)
from graphrec.errors import InvalidInput
from graphrec.serving import related, results, shopper_lists
from graphrec.serving.event_writes import EventInput
from graphrec.serving.options import RecFilter
from graphrec.serving.render import ReasonWriter
from graphrec.serving.service import ItemInput, Service

F = TypeVar("F", bound=Callable[..., Any])


def recommend(
    service: Service,
    user_id: str,
    k: int,
    flt: RecFilter | None,
    diversity: float | None,
    explore: float | None,
    writer: ReasonWriter | None = None,
) -> results.Recommendations:
    """The ``recommendations`` query (shared with the compiled operations, which pass their
    ``writer``)."""
    return logged(service, service.engine.recommend(user_id, k, flt, diversity, explore, writer))


def logged(service: Service, answer: results.Recommendations) -> results.Recommendations:
    """An answer marked degraded while the store is away, and logged for attribution."""
    if not service.store_ok:
        answer = dataclasses.replace(answer, degraded=True)
    service.log.served(answer)
    return answer


def _filter(raw: RecommendationFilter | None) -> RecFilter | None:
    return None if raw is None else raw.as_filter()


def _events(inputs: list[InteractionInput]) -> list[EventInput]:
    return [
        EventInput(
            user_id=str(e.user_id),
            item_id=str(e.item_id),
            kind=e.kind,
            ts=e.ts,
            weight=e.weight,
            rating=e.rating,
            recommendation_id=e.recommendation_id,
        )
        for e in inputs
    ]


@strawberry.type
class Query:
    @strawberry.field(description="Personalised recommendations, each with its reasons.")
    @typed_errors
    def recommendations(
        self,
        info: Info,
        user_id: strawberry.ID,
        k: int = 20,
        filter: RecommendationFilter | None = None,  # noqa: A002
        diversity: Annotated[
            float | None,
            strawberry.argument(description="0 (pure relevance) .. 1 (most diverse); MMR."),
        ] = None,
        explore: Annotated[
            float | None,
            strawberry.argument(description="Share of slots given to exploration, 0 .. 0.5."),
        ] = None,
    ) -> Recommendations:
        flt = filter.as_filter() if filter is not None else None
        answer = recommend(service_of(info), str(user_id), k, flt, diversity, explore)
        return cast(Recommendations, answer)

    @strawberry.field(
        description="These items (at most 100) best first for the shopper, with reasons: the "
        "recommendations' scores, filter and rules; items the shopper had included."
    )
    @typed_errors
    def rank(
        self,
        info: Info,
        user_id: strawberry.ID,
        item_ids: list[strawberry.ID],
        filter: RecommendationFilter | None = None,  # noqa: A002
    ) -> Recommendations:
        service = service_of(info)
        answer = shopper_lists.rank(
            service.engine, str(user_id), [str(i) for i in item_ids], _filter(filter)
        )
        return cast(Recommendations, logged(service, answer))

    @strawberry.field(
        description="The shoppers who chose the most of this shopper's items (personal: admin "
        "key).",
        permission_classes=[IsAdmin],
    )
    @typed_errors
    def similar_shoppers(
        self, info: Info, user_id: strawberry.ID, k: int = 10
    ) -> list[SimilarShopper]:
        found = shopper_lists.similar_shoppers(service_of(info).engine, str(user_id), k)
        return [
            SimilarShopper(user_id=strawberry.ID(s.user_id), shared_items=s.shared_items)
            for s in found
        ]

    @strawberry.field(description="Items closest to this one in the embedding space.")
    @typed_errors
    def similar_items(
        self,
        info: Info,
        item_id: strawberry.ID,
        k: int = 10,
        filter: RecommendationFilter | None = None,  # noqa: A002
    ) -> list[Recommendation]:
        engine = service_of(info).engine
        answer = related.similar_items(engine, str(item_id), k, _filter(filter))
        return cast(list[Recommendation], answer)

    @strawberry.field(description="What shoppers bought together with this item.")
    @typed_errors
    def bought_together(
        self,
        info: Info,
        item_id: strawberry.ID,
        k: int = 10,
        filter: RecommendationFilter | None = None,  # noqa: A002
    ) -> list[Recommendation]:
        engine = service_of(info).engine
        answer = related.bought_together(engine, [str(item_id)], k, _filter(filter))
        return cast(list[Recommendation], answer)

    @strawberry.field(
        description="What goes with a cart: every cart item's partners, each scaled to its "
        "strongest and summed; cartItem names the cart item each comes from."
    )
    @typed_errors
    def complements_for_cart(
        self,
        info: Info,
        item_ids: list[strawberry.ID],
        k: int = 10,
        filter: RecommendationFilter | None = None,  # noqa: A002
    ) -> list[Recommendation]:
        engine = service_of(info).engine
        answer = related.bought_together(engine, [str(i) for i in item_ids], k, _filter(filter))
        return cast(list[Recommendation], answer)

    @strawberry.field(description="Most shoppers lately, in a category and below, or overall.")
    @typed_errors
    def trending(
        self,
        info: Info,
        category_id: strawberry.ID | None = None,
        k: int = 10,
        filter: RecommendationFilter | None = None,  # noqa: A002
    ) -> list[Recommendation]:
        category = str(category_id) if category_id is not None else None
        answer = related.trending(service_of(info).engine, category, k, _filter(filter))
        return cast(list[Recommendation], answer)

    @strawberry.field(
        description="The reasons the shopper's recommendations give this item, from the same "
        "recent items; every: true adds every other supporting path after them."
    )
    @typed_errors
    def explain(
        self, info: Info, user_id: strawberry.ID, item_id: strawberry.ID, every: bool = False
    ) -> list[Reason]:
        engine = service_of(info).engine
        return cast(list[Reason], engine.explain(str(user_id), str(item_id), every))

    @strawberry.field(
        description="The most active shoppers, most events first (personal: admin key).",
        permission_classes=[IsAdmin],
    )
    @typed_errors
    def shoppers(self, info: Info, k: int = 10) -> list[strawberry.ID]:
        return [strawberry.ID(u) for u in service_of(info).engine.top_shoppers(k)]

    @strawberry.field(
        permission_classes=[IsAdmin], description="The business rules in force, file first."
    )
    def rules(self, info: Info) -> list[BusinessRule]:
        return [BusinessRule.of(rule, source) for rule, source in service_of(info).rules()]

    @strawberry.field
    @typed_errors
    def item(self, info: Info, id: strawberry.ID) -> Item | None:  # noqa: A002
        engine = service_of(info).engine
        index = engine.live.item_index.get(str(id))
        return None if index is None else cast(Item, engine.item(index))

    @strawberry.field(
        description="A shopper and their history (personal: admin key).",
        permission_classes=[IsAdmin],
    )
    @typed_errors
    def user(self, info: Info, id: strawberry.ID, history: int = 20) -> User | None:  # noqa: A002
        engine = service_of(info).engine
        if not 0 <= history <= 1000:
            raise InvalidInput(f"history must be in 0..1000, got {history}")
        index = engine.live.user(str(id))
        if index is None:
            return None
        events = engine.live.history(index, history)
        user = results.User(
            id=str(id),
            known_to_model=engine.is_known(index),
            history=[
                results.UserEvent(item=engine.item(e.item), kind=e.kind, ts=e.ts) for e in events
            ],
        )
        return cast(User, user)


@strawberry.type
class Mutation(AdminMutation):
    @strawberry.mutation(
        permission_classes=[CanRecord],
        description="Record one event; it is in the store before this answers.",
    )
    @typed_errors
    async def record_interaction(self, info: Info, input: InteractionInput) -> InteractionsRecorded:  # noqa: A002
        return await _record(info, [input])

    @strawberry.mutation(
        permission_classes=[CanRecord], description="Record up to 1000 events at once, all or none."
    )
    @typed_errors
    async def record_interactions(
        self, info: Info, inputs: list[InteractionInput]
    ) -> InteractionsRecorded:
        return await _record(info, inputs)

    @strawberry.mutation(
        permission_classes=[CanRecord],
        description="Never recommend this item to this shopper again.",
    )
    @typed_errors
    async def not_interested(
        self, info: Info, user_id: strawberry.ID, item_id: strawberry.ID
    ) -> InteractionsRecorded:
        return await _record(
            info, [InteractionInput(user_id=user_id, item_id=item_id, kind="not_interested")]
        )

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Rebuild the server's memory from the store, after writes that did not "
        "go through this API (another loader on Neo4j).",
    )
    @typed_errors
    async def reload_graph(self, info: Info) -> GraphReloaded:
        live = (await asyncio.to_thread(service_of(info).reload)).live
        return GraphReloaded(items=live.num_items, users=len(live.user_index))

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Delete the shopper, their events and their embedding.",
    )
    @typed_errors
    async def forget_user(self, info: Info, user_id: strawberry.ID) -> UserForgotten:
        deleted = await asyncio.to_thread(service_of(info).forget_user, str(user_id))
        return UserForgotten(user_id=user_id, deleted=deleted)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Add or change an item; a new one gets a content embedding and can be "
        "recommended at once.",
    )
    @typed_errors
    async def upsert_item(self, info: Info, input: ItemInputGQL) -> ItemUpserted:  # noqa: A002
        service = service_of(info)
        index, created = await asyncio.to_thread(
            service.upsert_item,
            ItemInput(
                id=str(input.id),
                title=input.title,
                price=input.price,
                in_stock=input.in_stock,
                brand_id=str(input.brand_id) if input.brand_id is not None else None,
                brand_name=input.brand_name,
                categories=tuple((str(c.id), c.name) for c in input.categories),
                category_parents=tuple(
                    (str(c.id), str(c.parent_id)) for c in input.categories if c.parent_id
                ),
            ),
        )
        return ItemUpserted(item=cast(Item, service.engine.item(index)), created=created)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Create or replace a business rule in the store; the next answers follow it.",
    )
    @typed_errors
    async def put_rule(self, info: Info, input: RuleInput) -> BusinessRule:  # noqa: A002
        entry = {
            "id": str(input.id),
            "action": input.action.value,
            "item": _str(input.item_id),
            "brand": _str(input.brand_id),
            "category": _str(input.category_id),
            "weight": input.weight,
            "position": input.position,
        }
        return BusinessRule.of(await asyncio.to_thread(service_of(info).put_rule, entry), "store")

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Remove a business rule from the store."
    )
    @typed_errors
    async def delete_rule(self, info: Info, id: strawberry.ID) -> RuleDeleted:  # noqa: A002
        deleted = await asyncio.to_thread(service_of(info).delete_rule, str(id))
        return RuleDeleted(id=id, deleted=deleted)


def _str(value: strawberry.ID | None) -> str | None:
    return None if value is None else str(value)


async def _record(info: Info, inputs: list[InteractionInput]) -> InteractionsRecorded:
    """Queue for the next group commit and wait for it: answers go on while the store
    commits, and concurrent calls share a transaction."""
    events = _events(inputs)
    await asyncio.wrap_future(service_of(info).submit(events))
    return InteractionsRecorded(
        recorded=len(events), users=sorted({strawberry.ID(e.user_id) for e in events})
    )


def _should_mask(error: GraphQLError) -> bool:
    """Mask everything that is not one of our typed errors or a GraphQL validation error."""
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, GraphQLError)
        and not (error.extensions and "code" in error.extensions)
    )


def build_schema() -> strawberry.Schema:
    parser_cache = ParserCache(maxsize=256)
    validation_cache = ValidationCache(maxsize=256)
    limits: list[Any] = [
        lambda: AddValidationRules([DocumentLimits]),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: parser_cache,
        lambda: validation_cache,
        lambda: MaskErrors(should_mask_error=_should_mask),
    ]
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=limits)


schema = build_schema()
