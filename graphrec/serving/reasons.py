"""The reasons: one table of their kinds, and the builders of each kind's sentence and path.

A reason is a path that exists in the graph, from the shopper (or the item asked about) to the
item recommended, with a sentence a shopper reads. :data:`KINDS` is the one definition of each
kind: the code the compiled loops use (:mod:`graphrec.serving.kernels`), its priority (which
reason an item shows first), its sentence, the shape of its path and the evidence it counts.
The sentences of the objects made here and of the JSON written by
:mod:`graphrec.serving.render` (which calls these builders with placeholders) are the same.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from graphrec.serving.results import (
    Path,
    PathNode,
    PathRelationship,
    Reason,
    ReasonKind,
    new_node,
    new_path,
    new_reason,
    new_relationship,
)


@dataclass(frozen=True)
class KindOfReason:
    kind: ReasonKind
    #: shown first when higher (an item's reasons, strongest first)
    priority: int
    #: fields: the recent item's ``title`` and ``verb`` ("bought"), the ``shoppers``
    #: ("37 shoppers"), the ``brand`` or ``category`` name, the trending window's ``days``
    sentence: str
    #: the path, in Cypher: ``u`` the shopper, ``s`` their recent item, ``t`` the item
    path: str
    #: what ``support`` counts
    evidence: str


#: Every kind of reason, by code (the index): the compiled loops choose codes in this order
#: of strength for evidence, then the fillers.
KINDS: tuple[KindOfReason, ...] = (
    KindOfReason(
        ReasonKind.BOUGHT_WITH, 8, "Bought together with {title} by {shoppers}",
        "(u:User)-[:INTERACTED]->(s:Item)-[:BOUGHT_WITH]->(t:Item)",
        "shoppers who bought both (the BOUGHT_WITH weight)",
    ),
    KindOfReason(
        ReasonKind.SIMILAR_SHOPPERS, 7, "{shoppers} who chose {title} also chose this",
        "(u:User)-[:INTERACTED]->(s:Item)<-[:INTERACTED]-(o:Shoppers)-[:INTERACTED]->(t:Item)",
        "other shoppers who chose both; (o:Shoppers) stands for all of them, never one by id",
    ),
    KindOfReason(
        ReasonKind.SIMILAR_ITEM, 6, "Similar to {title}, which you {verb}",
        "(u:User)-[:INTERACTED]->(s:Item)-[:SIMILAR_TO]->(t:Item)",
        "the SIMILAR_TO score",
    ),
    KindOfReason(
        ReasonKind.SAME_BRAND, 5, "Same brand ({brand}) as {title}, which you {verb}",
        "(u:User)-[:INTERACTED]->(s:Item)-[:MADE_BY]->(:Brand)<-[:MADE_BY]-(t:Item)",
        "1",
    ),
    KindOfReason(
        ReasonKind.SAME_CATEGORY, 4, "In {category}, like {title}, which you {verb}",
        "(u:User)-[:INTERACTED]->(s:Item)-[:IN_CATEGORY]->(:Category)<-[:IN_CATEGORY]-(t:Item)",
        "1",
    ),
    KindOfReason(
        ReasonKind.TRENDING, 3, "Trending in {category}: {shoppers} in the last {days} days",
        "(t:Item)-[:IN_CATEGORY]->(:Category)",
        "shoppers in the trending window",
    ),
    KindOfReason(
        ReasonKind.POPULAR, 2, "Popular: chosen by {shoppers}", "(t:Item)", "shoppers, ever"
    ),
    KindOfReason(  # popular, with nobody yet
        ReasonKind.POPULAR, 2, "In the catalogue, not chosen by anyone yet", "(t:Item)", "0"
    ),
    KindOfReason(
        ReasonKind.EXPLORATION, 9, "Something new to explore: picked to widen what you are shown",
        "(t:Item)", "0",
    ),
    KindOfReason(  # the model's own reason, where no relationship says it
        ReasonKind.BECAUSE, 4, "Because you {verb} {title}", "(u:User)-[:INTERACTED]->(s:Item)",
        "1: of the shopper's recent items, s adds most to the item's score",
    ),
)  # fmt: skip
#: The codes, as the compiled loops know them.
BOUGHT_WITH, SIMILAR_SHOPPERS, SIMILAR_ITEM, SAME_BRAND, SAME_CATEGORY = 0, 1, 2, 3, 4
TRENDING, POPULAR, UNCHOSEN, EXPLORATION, BECAUSE = 5, 6, 7, 8, 9
#: The kinds that read the graph between a recent item and the item (codes 0..EVIDENCE-1).
EVIDENCE = SAME_CATEGORY + 1
#: Each code's sentence.
TEXTS = tuple(kind.sentence for kind in KINDS)
#: Each kind's priority (higher first).
PRIORITY = {kind.kind: kind.priority for kind in KINDS}
#: How a sentence says what the shopper did, by event kind.
VERBS = {
    "purchase": "bought",
    "view": "viewed",
    "click": "viewed",
    "cart": "put in your cart",
    "wishlist": "wished for",
    "rating": "rated",
    "review": "reviewed",
    "checkin": "visited",
}


@functools.lru_cache(maxsize=4_096)  # weights make many: keep few alive (see Engine.prepare_views)
def relationship(
    type: str,  # noqa: A002 - the GraphQL field's name
    start: int,
    end: int,
    kind: str | None = None,
    weight: float | None = None,
) -> PathRelationship:
    """Relationships on paths are few distinct values: one shared, never-changed object each
    (so the compiled plans serialise each once)."""
    return new_relationship(type, start, end, kind, weight)


def weighted(
    type: str,  # noqa: A002 - the GraphQL field's name
    start: int,
    end: int,
    kind: str | None,
    weight: float | None,
) -> PathRelationship:
    """A relationship with a weight: shared (:func:`_rel`) when the weight is a count, which
    repeats; made afresh when it is a similarity score, which hardly ever does (caching those
    only churned the cache: each miss cost 3 us and pushed out a shared one)."""
    if weight is None or weight.is_integer():
        return relationship(type, start, end, kind, weight)
    return new_relationship(type, start, end, kind, weight)


#: Another shopper chose the shopper's item (nodes[2] -> nodes[1]) and this one (-> nodes[3]).
#: The label of the node that stands for other shoppers together (an aggregate, not a node of
#: the store: its id is empty, its name says how many).
OTHER_SHOPPERS = "Shoppers"
_OTHER_CHOSE_IT = relationship("INTERACTED", 2, 1)
_OTHER_CHOSE_THIS = relationship("INTERACTED", 2, 3)


def _shoppers(count: float) -> str:
    return "1 shopper" if int(count) == 1 else f"{int(count)} shoppers"


# -- each kind of reason: its sentence and its path -------------------------------------------
# (``render`` makes the JSON of each from these too, by calling them with placeholders)
def bought_with(user_node: PathNode, source: Source, target: PathNode, weight: float) -> Reason:
    return new_reason(
        ReasonKind.BOUGHT_WITH,
        TEXTS[BOUGHT_WITH].format(title=source.title, shoppers=_shoppers(weight)),
        weight,
        _edge_path(user_node, source, "BOUGHT_WITH", weight, target),
    )


def similar_shoppers(user_node: PathNode, source: Source, target: PathNode, count: int) -> Reason:
    """Other shoppers chose the recent item and this one: on the path they are one node, all
    of them, with their number and no id (no reason says who another shopper is, or what
    they chose)."""
    others = new_node(OTHER_SHOPPERS, "", _shoppers(count))
    return new_reason(
        ReasonKind.SIMILAR_SHOPPERS,
        TEXTS[SIMILAR_SHOPPERS].format(shoppers=_shoppers(count), title=source.title),
        float(count),
        new_path(
            [user_node, source.node, others, target],
            [source.interacted, _OTHER_CHOSE_IT, _OTHER_CHOSE_THIS],
        ),
    )


def similar_item(user_node: PathNode, source: Source, target: PathNode, score: float) -> Reason:
    return new_reason(
        ReasonKind.SIMILAR_ITEM,
        TEXTS[SIMILAR_ITEM].format(title=source.title, verb=source.verb),
        score,
        _edge_path(user_node, source, "SIMILAR_TO", score, target),
    )


def same_brand(user_node: PathNode, source: Source, brand: PathNode, target: PathNode) -> Reason:
    return new_reason(
        ReasonKind.SAME_BRAND,
        TEXTS[SAME_BRAND].format(brand=brand.name, title=source.title, verb=source.verb),
        1.0,
        _shared_path(user_node, source, brand, "MADE_BY", target),
    )


def same_category(
    user_node: PathNode, source: Source, category: PathNode, target: PathNode
) -> Reason:
    return new_reason(
        ReasonKind.SAME_CATEGORY,
        TEXTS[SAME_CATEGORY].format(category=category.name, title=source.title, verb=source.verb),
        1.0,
        _shared_path(user_node, source, category, "IN_CATEGORY", target),
    )


def trending_in(target: PathNode, category: PathNode, count: float, days: int) -> Reason:
    return new_reason(
        ReasonKind.TRENDING,
        TEXTS[TRENDING].format(category=category.name, shoppers=_shoppers(count), days=days),
        count,
        new_path([target, category], [relationship("IN_CATEGORY", 0, 1)]),
    )


def popular(target: PathNode, count: float) -> Reason:
    text = TEXTS[POPULAR].format(shoppers=_shoppers(count)) if count else TEXTS[UNCHOSEN]
    return new_reason(ReasonKind.POPULAR, text, count, new_path([target], []))


def because(user_node: PathNode, source: Source) -> Reason:
    """The recent item that adds most to the item's score (:mod:`.contributions`) where no
    relationship of the graph leads from it to the item: the path is the shopper's event."""
    return new_reason(
        ReasonKind.BECAUSE,
        TEXTS[BECAUSE].format(title=source.title, verb=source.verb),
        1.0,
        new_path([user_node, source.node], [source.interacted]),
    )


def exploration(target: PathNode) -> Reason:
    return new_reason(ReasonKind.EXPLORATION, TEXTS[EXPLORATION], 0.0, new_path([target], []))


class Source(NamedTuple):
    """A recent event as its reasons show it."""

    item: int
    node: PathNode
    title: str
    verb: str
    interacted: PathRelationship  # the shopper -> this item


def _edge_path(
    user_node: PathNode, source: Source, rel: str, value: float, target: PathNode
) -> Path:
    """user -> their item -[rel {value}]-> item: an item-to-item edge."""
    return new_path(
        [user_node, source.node, target],
        [source.interacted, weighted(rel, 1, 2, None, value)],
    )


def _shared_path(
    user_node: PathNode, source: Source, node: PathNode, rel: str, target: PathNode
) -> Path:
    """user -> their item -[rel]-> node <-[rel]- item: a brand or category in common."""
    return new_path(
        [user_node, source.node, node, target],
        [source.interacted, relationship(rel, 1, 2), relationship(rel, 3, 2)],
    )


def from_item(reason: Reason) -> Reason:
    """An item-to-item reason: the path without the (anonymous) shopper's first hop."""
    path = reason.path
    if path.nodes and path.nodes[0].label == "User" and path.nodes[0].id == "":
        nodes = path.nodes[1:]
        rels = [
            weighted(r.type, r.start - 1, r.end - 1, r.kind, r.weight)
            for r in path.relationships[1:]
        ]
        text = reason.text.split(", which you")[0]
        return new_reason(
            kind=reason.kind,
            text=text,
            support=reason.support,
            path=new_path(nodes=nodes, relationships=rels),
        )
    return reason


class Decided(NamedTuple):
    """An answer's reasons, chosen (``Engine.decide``) but not yet made: the arrays of
    ``kernels.reason_sources`` and ``kernels.choose_reasons``, parallel to the items."""

    chosen: np.ndarray  # (items, limit) reason codes, strongest first, -1 after
    sources: np.ndarray  # the recent items
    position: np.ndarray  # per source row (``kernels.SOURCE_ROW``): the recent item's position
    value: np.ndarray  # per relationship: the edge's value
    category: np.ndarray  # the category shared
    other: np.ndarray  # the other shopper of a similar-shoppers reason
    together: np.ndarray  # ... and how many other shoppers had both
