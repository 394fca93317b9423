"""Which items a request may be answered with, and which shoppers form the control group."""

from __future__ import annotations

import hashlib

import numpy as np

from graphrec.serving.live import LiveGraph
from graphrec.serving.options import RecFilter


def allowed_items(live: LiveGraph, flt: RecFilter) -> np.ndarray:
    """Per item, whether the filter lets it through: in stock (unless ``in_stock_only`` is
    off), of one of its brands, under one of its categories, not excluded."""
    ok = live.in_stock.copy() if flt.in_stock_only else np.ones(live.num_items, dtype=bool)
    if flt.brands is not None:
        wanted = {live.brand_index[b] for b in flt.brands if b in live.brand_index}
        ok &= np.isin(np.asarray(live.brand), list(wanted))
    if flt.categories is not None:
        wanted = {live.category_index[c] for c in flt.categories if c in live.category_index}
        ok &= items_under(live, wanted)
    for item_id in flt.exclude_items or ():
        index = live.item_index.get(item_id)
        if index is not None:
            ok[index] = False
    return ok


def items_in(live: LiveGraph, categories: set[int]) -> np.ndarray:
    """Mask of the items directly in any of these categories."""
    mask = np.zeros(live.num_items, dtype=bool)
    for category in categories:
        mask[live.category_items.get(category, [])] = True
    return mask


def items_under(live: LiveGraph, categories: set[int]) -> np.ndarray:
    """Mask of the items in these categories or any category below them."""
    below = set()
    for start in range(len(live.category_ids)):
        category, path = start, set()
        while category >= 0 and category not in path:  # up to the root (a cycle stops)
            path.add(category)
            category = live.category_parent[category]
        if path & categories:
            below.add(start)
    return items_in(live, below)


def in_control_group(user_id: str, share: float, salt: str) -> bool:
    """Whether the shopper is among the ``share`` who get the popularity control: a hash of
    their id, so the same shoppers every time."""
    digest = hashlib.blake2b(f"{salt}:{user_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % 10_000 < share * 10_000
