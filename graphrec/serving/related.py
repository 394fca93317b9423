"""Item-to-item answers: items like one item, bought with a cart, trending in a category.

Each recommendation carries the paths from the anchor items (not from a shopper) to it.
"""

from __future__ import annotations

import numpy as np

from graphrec.errors import InvalidInput, NotFound
from graphrec.serving.candidates import top_k
from graphrec.serving.engine import Engine, check_k
from graphrec.serving.events import Event, Recent
from graphrec.serving.options import RecFilter
from graphrec.serving.reasons import from_item
from graphrec.serving.results import ReasonKind, Recommendation


# -- item-to-item --------------------------------------------------------------------------
def similar_items(engine: Engine, item_id: str, k: int = 10) -> list[Recommendation]:
    """The items nearest by the model's vectors (cosine); for an item the model has no vector
    for, those whose title words are nearest. Fewer than ``k`` when fewer have a vector."""
    check_k(k)
    item = engine.item_index(item_id)
    # an item without a vector (no interactions in training) is never ranked as if it had one
    has_vector = engine.has_vector
    if has_vector[item]:
        sims = engine.unit @ engine.unit[item]
    else:  # the item has none: the items whose title words are nearest to its own
        sims = np.full(len(has_vector), -np.inf)
        look_alikes, cosines = engine.new_items.look_alikes(item, engine.look_alike_items(), k + 1)
        sims[look_alikes] = cosines
    sims[~has_vector[: len(sims)]] = -np.inf
    sims[item] = -np.inf
    chosen = top_k(sims, k)
    anchor = Recent.of([Event(item, "view", 0)])
    return [
        Recommendation(
            item=engine.item(int(i)),
            score=float(sims[i]),
            rank=r + 1,
            reasons=[from_item(reason) for reason in engine.evidence("", anchor, int(i))][
                : engine.config.max_reasons
            ],
        )
        for r, i in enumerate(chosen)
    ]


#: The most items a cart may name.
MAX_CART = 100


def bought_together(engine: Engine, item_ids: list[str], k: int = 10) -> list[Recommendation]:
    """Items bought with any of these (a cart), by summed shoppers."""
    check_k(k)
    if not item_ids:
        raise InvalidInput("give at least one item id")
    if len(item_ids) > MAX_CART:
        raise InvalidInput(f"at most {MAX_CART} item ids, got {len(item_ids)}")
    anchors = list(dict.fromkeys(engine.item_index(i) for i in item_ids))
    anchor_set = set(anchors)
    matrix = engine.live.bought_with
    totals: dict[int, float] = {}
    for a in anchors:
        start, end = matrix.indptr[a], matrix.indptr[a + 1]
        for other, weight in zip(matrix.indices[start:end], matrix.data[start:end], strict=True):
            if int(other) not in anchor_set:
                totals[int(other)] = totals.get(int(other), 0.0) + float(weight)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    events = Recent.of([Event(a, "cart", 0) for a in anchors])
    return [
        Recommendation(
            item=engine.item(i),
            score=total,
            rank=r + 1,
            reasons=[
                from_item(reason)
                for reason in engine.evidence("", events, i)
                if reason.kind is ReasonKind.BOUGHT_WITH
            ],
        )
        for r, (i, total) in enumerate(ranked)
    ]


def trending(engine: Engine, category_id: str | None, k: int = 10) -> list[Recommendation]:
    check_k(k)
    live = engine.live
    flt = RecFilter(categories=[category_id] if category_id else None, in_stock_only=True)
    if category_id is not None and category_id not in live.category_index:
        raise NotFound(f"no category with id {category_id!r}")
    chosen = engine.popularity.popular(engine.allowed(flt), k, trending=True)
    interest = live.activity.trending_now(chosen)
    return [
        Recommendation(
            item=engine.item(int(i)),
            score=float(interest[r]),
            rank=r + 1,
            reasons=[engine.popularity_reason(int(i), trending=True)],
        )
        for r, i in enumerate(chosen)
    ]
