"""A planted graph whose right answer is known: two communities and a few blockbusters.

Users 0-19 like items 0-9, users 20-39 like items 10-19; items 20-22 are liked by most users of
both. Each user's test items are two unseen items of their own community, so a model that learns
the communities ranks them first, while popularity ranks the blockbusters first.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from graphrec.graph.splits import Split

USERS, ITEMS, COMMUNITY = 40, 23, 10


def planted_split(seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    train, valid, test = [], [], []
    for user in range(USERS):
        community = np.arange(COMMUNITY) + (0 if user < USERS // 2 else COMMUNITY)
        order = rng.permutation(community)
        train += [(user, item) for item in order[:5]]
        valid += [(user, int(order[5]))]
        test += [(user, int(item)) for item in order[6:8]]
        train += [(user, item) for item in (20, 21, 22) if rng.random() < 0.8]

    def matrix(pairs: list[tuple[int, int]]) -> sp.csr_matrix:
        rows, cols = zip(*pairs, strict=True)
        return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(USERS, ITEMS))

    return Split("given", matrix(train), matrix(valid), matrix(test))
