"""Items under categories (for filters and rules), and which shoppers form the control group."""

from __future__ import annotations

import hashlib

import numpy as np

from graphrec.serving.live import LiveGraph


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
