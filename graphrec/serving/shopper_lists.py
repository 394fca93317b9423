"""A shopper's ranking of a given list, and the shoppers most like one (for merchandisers).

:func:`rank` orders the items a shop gives (a search result, a category page) for one shopper
through the recommendations' own pipeline (:meth:`.engine.Engine.recommend` with ``within``):
the same scores, filter, rules, freshness and reasons, the items the shopper had included.
:func:`similar_shoppers` lists the shoppers who chose the most of the same items, a personal
answer behind the admin key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphrec.errors import InvalidInput, NotFound
from graphrec.serving.engine import MAX_K, Engine, check_k
from graphrec.serving.options import RecFilter
from graphrec.serving.results import Recommendations


def rank(
    engine: Engine, user_id: str, item_ids: list[str], flt: RecFilter | None = None
) -> Recommendations:
    """``item_ids`` (known items, at most 100, repeats counted once) best first for this
    shopper, each with its reasons; a shopper graphrec does not know gets them by trend, as
    their recommendations would. Items the filter leaves out (out of stock by default) are
    left out of the answer."""
    if not item_ids:
        raise InvalidInput("give at least one item id to rank")
    if len(item_ids) > MAX_K:
        raise InvalidInput(f"at most {MAX_K} item ids to rank, got {len(item_ids)}")
    within = np.array(list(dict.fromkeys(engine.item_index(i) for i in item_ids)))
    return engine.recommend(user_id, len(within), flt, diversity=0.0, explore=0.0, within=within)


@dataclass(frozen=True)
class SimilarShopper:
    user_id: str
    #: how many items both chose (every kind that shows interest)
    shared_items: int


def similar_shoppers(engine: Engine, user_id: str, k: int = 10) -> list[SimilarShopper]:
    """The shoppers who chose the most of this shopper's items, most first (ties by id);
    forgotten shoppers are never among them."""
    check_k(k)
    live = engine.live
    with engine.lock:
        user = live.user(user_id)
        if user is None:
            raise NotFound(f"no shopper with id {user_id!r}")
        items, kinds, _ = live.events(user)
        mine = np.unique(items[live.is_interest(kinds)]) if len(items) else items
        if not len(mine):
            return []
        others = np.concatenate([live.item_shoppers(int(i)) for i in mine])
        counts = np.bincount(others, minlength=len(live.user_ids))
        counts[user] = 0
        ranked = [u for u in np.flatnonzero(counts).tolist() if live.user_ids[u] is not None]
        ranked.sort(key=lambda u: (-int(counts[u]), str(live.user_ids[u])))
        return [SimilarShopper(str(live.user_ids[u]), int(counts[u])) for u in ranked[:k]]
