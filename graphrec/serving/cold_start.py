"""Vectors for items a model never saw, from their content."""

from __future__ import annotations

import numpy as np

from graphrec.serving.filters import items_in
from graphrec.serving.live import LiveGraph


def content_vector(
    live: LiveGraph, vectors: np.ndarray, known: np.ndarray, item: int
) -> np.ndarray:
    """A vector for an item the model never saw: the mean of the known items that share its
    brand and a category (else a category, else the brand), at the median length."""
    n = len(known)
    brand = live.brand[item]
    same_brand = (np.asarray(live.brand[:n]) == brand) if brand >= 0 else np.zeros(n, bool)
    same_cat = items_in(live, set(live.item_categories[item]))[:n]
    for mask in (same_brand & same_cat, same_cat, same_brand):
        mask = mask & known
        if mask.any():
            mean = vectors[:n][mask].mean(axis=0)
            norm = float(np.linalg.norm(mean))
            if norm > 0:
                lengths = np.linalg.norm(vectors[:n][known], axis=1)
                return (mean / norm * float(np.median(lengths))).astype(np.float32)
    return np.zeros(vectors.shape[1], dtype=np.float32)
