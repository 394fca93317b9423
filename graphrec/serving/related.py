"""Item-to-item answers: items like one item, bought with it or with a cart, trending.

Each recommendation carries the paths from the anchor items (not from a shopper) to it, and
every list goes through the request's filter, the rules and freshness
(:class:`.policy.Policy`), as recommendations do.
"""

from __future__ import annotations

import numpy as np

from graphrec.errors import InvalidInput, NotFound
from graphrec.serving.candidates import top_k
from graphrec.serving.engine import Engine, check_k
from graphrec.serving.events import Event, Recent
from graphrec.serving.filters import items_under
from graphrec.serving.options import RecFilter
from graphrec.serving.reasons import from_item
from graphrec.serving.results import ReasonKind, Recommendation

#: The most items a cart may name.
MAX_CART = 100


def _shortlist(engine: Engine, scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The best allowed items by ``scores`` (finite ones), enough for the rules to reorder."""
    scores = np.where(allowed[: len(scores)], scores, -np.inf)
    return top_k(scores, engine.policy.shortlist(k))


def similar_items(
    engine: Engine, item_id: str, k: int = 10, flt: RecFilter | None = None
) -> list[Recommendation]:
    """The items nearest by the model's vectors (cosine); for an item the model has no vector
    for, those whose title words are nearest. Fewer than ``k`` when fewer have a vector."""
    check_k(k)
    item = engine.item_index(item_id)
    allowed = engine.allowed(flt or RecFilter())
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
    allowed[item] = False
    shortlist = _shortlist(engine, sims, allowed, k)
    chosen, scores, _ = engine.policy.finish(shortlist, sims[shortlist], allowed, k)
    anchor = Recent.of([Event(item, "view", 0)])
    return [
        Recommendation(
            item=engine.item(int(i)),
            score=float(score),
            rank=r + 1,
            reasons=[from_item(reason) for reason in engine.evidence("", anchor, int(i))][
                : engine.config.max_reasons
            ],
        )
        for r, (i, score) in enumerate(zip(chosen.tolist(), scores.tolist(), strict=True))
    ]


def bought_together(
    engine: Engine, item_ids: list[str], k: int = 10, flt: RecFilter | None = None
) -> list[Recommendation]:
    """Items bought with these. One item: by its ``BOUGHT_WITH`` shoppers. A cart: every cart
    item's partners scaled to its strongest (1) and summed, so each cart item has its say
    however many shoppers it has; each recommendation names the cart item it comes from
    (``cart_item``: the one whose partner it is most)."""
    check_k(k)
    if not item_ids:
        raise InvalidInput("give at least one item id")
    if len(item_ids) > MAX_CART:
        raise InvalidInput(f"at most {MAX_CART} item ids, got {len(item_ids)}")
    anchors = list(dict.fromkeys(engine.item_index(i) for i in item_ids))
    matrix = engine.live.bought_with
    n = engine.live.num_items
    total = np.zeros(n)
    strongest = np.zeros(n)  # per item, its largest share from one cart item ...
    source = np.full(n, -1, dtype=np.int64)  # ... and that cart item
    for anchor in anchors:
        start, end = matrix.indptr[anchor], matrix.indptr[anchor + 1]
        partners = matrix.indices[start:end].astype(np.int64)
        weights = matrix.data[start:end].astype(np.float64)
        if not len(partners):
            continue
        share = weights / weights.max() if len(anchors) > 1 else weights
        total[partners] += share
        stronger = share > strongest[partners]
        strongest[partners[stronger]] = share[stronger]
        source[partners[stronger]] = anchor
    total[anchors] = 0.0
    total[total <= 0] = -np.inf  # bought with none of them
    allowed = engine.allowed(flt or RecFilter())
    shortlist = _shortlist(engine, total, allowed, k)
    chosen, scores, _ = engine.policy.finish(shortlist, total[shortlist], allowed, k)
    answer = []
    for r, (i, score) in enumerate(zip(chosen.tolist(), scores.tolist(), strict=True)):
        first = int(source[i])
        ordered = [first, *(a for a in anchors if a != first)] if first >= 0 else anchors
        events = Recent.of([Event(a, "cart", 0) for a in ordered])
        reasons = [
            from_item(reason)
            for reason in engine.evidence("", events, i)
            if reason.kind is ReasonKind.BOUGHT_WITH
        ]
        answer.append(
            Recommendation(
                item=engine.item(i),
                score=float(score),
                rank=r + 1,
                reasons=reasons,
                cart_item=engine.item(first) if first >= 0 and len(anchors) > 1 else None,
            )
        )
    return answer


def trending(
    engine: Engine, category_id: str | None, k: int = 10, flt: RecFilter | None = None
) -> list[Recommendation]:
    """The most trending items allowed by the filter, in a category and below or overall."""
    check_k(k)
    live = engine.live
    if category_id is not None and category_id not in live.category_index:
        raise NotFound(f"no category with id {category_id!r}")
    allowed = engine.allowed(flt or RecFilter())
    if category_id is not None:
        allowed &= items_under(live, {live.category_index[category_id]})
    chosen, interest, _ = engine.popular_list(allowed, k, trending=True)
    return [
        Recommendation(
            item=engine.item(int(i)),
            score=float(score),
            rank=r + 1,
            reasons=[engine.popularity_reason(int(i), trending=True)],
        )
        for r, (i, score) in enumerate(zip(chosen.tolist(), interest.tolist(), strict=True))
    ]
