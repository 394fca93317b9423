"""What serving answers with: plain, frozen dataclasses. The GraphQL types that present them
live in :mod:`graphrec.api.types`; serving knows nothing of GraphQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ReasonKind(Enum):
    """Why an item is recommended; each kind is a shape of path."""

    BOUGHT_WITH = "bought_with"
    SIMILAR_SHOPPERS = "similar_shoppers"
    SIMILAR_ITEM = "similar_item"
    SAME_BRAND = "same_brand"
    SAME_CATEGORY = "same_category"
    TRENDING = "trending"
    POPULAR = "popular"
    EXPLORATION = "exploration"
    #: the recent item that adds most to the score, where no relationship names it
    BECAUSE = "because"


class Strategy(Enum):
    """How an answer was made."""

    PERSONALIZED = "personalized"
    CONTROL = "control"
    COLD_START = "cold_start"


@dataclass(frozen=True)
class PathNode:
    label: str
    id: str
    name: str | None


@dataclass(frozen=True)
class PathRelationship:
    """A relationship between ``nodes[start]`` and ``nodes[end]``; ``kind``: INTERACTED's
    event kind; ``weight``: BOUGHT_WITH's shoppers, SIMILAR_TO's score."""

    type: str
    start: int
    end: int
    kind: str | None = None
    weight: float | None = None


@dataclass(frozen=True)
class Path:
    nodes: list[PathNode]
    relationships: list[PathRelationship]


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str
    support: float
    path: Path


@dataclass(frozen=True)
class Brand:
    id: str
    name: str | None


@dataclass(frozen=True)
class Category:
    id: str
    name: str | None


@dataclass(frozen=True)
class Item:
    id: str
    title: str | None
    price: float | None
    in_stock: bool
    brand: Brand | None
    category: Category | None
    categories: list[Category]


@dataclass(frozen=True)
class Recommendation:
    item: Item
    score: float
    rank: int
    #: strongest first; or, for a compiled operation, their JSON (an ``orjson.Fragment``)
    reasons: Any
    #: for a cart's complements: the cart item whose partners brought it
    cart_item: Item | None = None


@dataclass(frozen=True)
class Recommendations:
    recommendation_id: str
    user_id: str
    strategy: Strategy
    items: list[Recommendation]
    #: True when the store is unreachable and the answer comes from memory only
    degraded: bool
    model_version: str = ""
    #: the items' ids, in order (for the logs and the answer cache)
    item_ids: list[str] = field(default_factory=list)
    #: the items as a compiled operation's writer wrote them (``items`` is then empty), or None
    items_json: Any = None
    #: per item, in order: its score, and what filled its slot (personalized, exploration,
    #: pinned, control, cold_start), for the impression log
    scores: list[float] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UserEvent:
    item: Item
    kind: str
    ts: int


@dataclass(frozen=True)
class User:
    id: str
    known_to_model: bool
    history: list[UserEvent]


@dataclass(frozen=True)
class EventsRecorded:
    """Events committed for these shoppers."""

    recorded: int
    users: list[str]


#: Set in the ``__dict__`` of an object that the engine shares between answers and never
#: changes (see :func:`share`): serialisers may keep its JSON on it.
SHARED_MARK = "_shared"


def share(obj: Any) -> Any:
    """Mark ``obj`` as shared between answers and never changed."""
    obj.__dict__[SHARED_MARK] = True
    return obj


# -- fast constructors -------------------------------------------------------------------------
# A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which costs
# twice what filling its ``__dict__`` does; an answer makes about 50 reasons, their paths and 20
# recommendations, so the hot path builds them with these (same objects, same fields).
_new = object.__new__


def new_path(nodes: list[PathNode], relationships: list[PathRelationship]) -> Path:
    path = _new(Path)
    path.__dict__.update(
        nodes=nodes,
        relationships=relationships,
    )
    return path


def new_reason(kind: ReasonKind, text: str, support: float, path: Path) -> Reason:
    reason = _new(Reason)
    reason.__dict__.update(
        kind=kind,
        text=text,
        support=support,
        path=path,
    )
    return reason


def new_recommendation(item: Item, score: float, rank: int, reasons: Any) -> Recommendation:
    """``reasons``: a list of :class:`Reason`, or their JSON (an ``orjson.Fragment``) for
    the compiled plans alone."""
    recommendation = _new(Recommendation)
    recommendation.__dict__.update(
        item=item,
        score=score,
        rank=rank,
        reasons=reasons,
        cart_item=None,
    )
    return recommendation


def new_node(label: str, id: str, name: str | None) -> PathNode:  # noqa: A002 - the field
    node = _new(PathNode)
    node.__dict__.update(
        label=label,
        id=id,
        name=name,
    )
    return node


def new_relationship(
    type: str,  # noqa: A002 - the field
    start: int,
    end: int,
    kind: str | None = None,
    weight: float | None = None,
) -> PathRelationship:
    relationship = _new(PathRelationship)
    relationship.__dict__.update(
        type=type,
        start=start,
        end=end,
        kind=kind,
        weight=weight,
    )
    return relationship
