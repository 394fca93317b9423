"""Batch-derived edges written back to the store: ``BOUGHT_WITH`` (co-interaction).

``(a)-[:BOUGHT_WITH {weight: n}]->(b)``: n distinct shoppers interacted with both a and b
within ``window`` seconds of each other (``bought_with_window_days``; a time of 0 is unknown and
pairs with any time; a window of 0 counts every pair, however far apart). Only interactions of
kinds that show intent count (``view`` and ``click`` do not, by default; negative kinds such as
``not_interested`` never do), only training interactions count when the data has a train/test
split, and each item keeps its ``top_k`` strongest partners with at least ``min_shoppers``
shoppers, ties broken by the partner's id.

:func:`derive_bought_with` derives every edge from a snapshot of the store;
:func:`derive_bought_with_of` derives the edges of a few items from the store's own counts (what
a privacy delete changes: only the pairs of items the shopper had both).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graphrec.config import get_settings
from graphrec.graph.snapshot import Snapshot, export_snapshot
from graphrec.graph.splits import NEGATIVE_KINDS
from graphrec.store.base import SCHEMAS, GraphStore

DAY = 86_400


def co_interaction_matrix(
    snapshot: Snapshot, excluded_kinds: list[str], window: int = 0
) -> sp.csr_matrix:
    """Items x items, entry (a, b) = distinct shoppers of both (within ``window`` seconds of
    each other, when > 0); the diagonal is zero."""
    keep = np.ones(snapshot.interactions.num_rows, dtype=bool)
    kinds: list[str] = snapshot.meta["kinds"]
    kind = snapshot.column("kind")
    for name in {*excluded_kinds, *NEGATIVE_KINDS}:
        if name in kinds:
            keep &= kind != kinds.index(name)
    if "test" in snapshot.meta["splits"]:
        keep &= ~snapshot.split_mask("test")
    users, items = snapshot.column("user")[keep], snapshot.column("item")[keep]
    ts = snapshot.column("ts")[keep]
    if window > 0 and (ts != 0).any():
        return windowed_co_interactions(users, items, ts, window, snapshot.num_items)
    shape = (snapshot.num_users, snapshot.num_items)
    bought = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=shape)
    bought.data[:] = 1.0  # repeated (user, item) pairs count once
    together = (bought.T @ bought).tocsr()
    together.setdiag(0)
    together.eliminate_zeros()
    return together


def windowed_co_interactions(
    users: np.ndarray, items: np.ndarray, ts: np.ndarray, window: int, n: int
) -> sp.csr_matrix:
    """Items x items, entry (a, b) = distinct shoppers with an interaction on a and one on b
    at most ``window`` seconds apart (a time of 0 pairs with any). Each shopper's rows are
    sorted by time and every row is paired with the next one, then the one after, ... while
    any pair is still within the window: the work is the pairs within it, not all pairs."""
    order = np.lexsort((ts, users))
    users, items, ts = users[order], items[order].astype(np.int64), ts[order].astype(np.int64)
    num_users = int(users.max()) + 1 if len(users) else 1
    # a shopper who had no item twice gives each pair once: only the others need deduplicating
    rows_of = np.bincount(users, minlength=num_users)
    distinct = np.bincount(np.unique(users * n + items) // n, minlength=num_users)
    repeats = rows_of != distinct
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    whose: list[np.ndarray] = []
    alive = np.arange(len(users))  # the rows whose pair at the last step was within it
    for step in range(1, len(users)):
        alive = alive[alive + step < len(users)]
        then = alive + step
        first_ts, then_ts = ts[alive], ts[then]
        near = (users[then] == users[alive]) & (
            (then_ts - first_ts <= window) | (first_ts == 0) | (then_ts == 0)
        )
        alive, then = alive[near], then[near]
        if not len(alive):
            break
        a, b = items[alive], items[then]
        apart = a != b
        lows.append(np.minimum(a, b)[apart])
        highs.append(np.maximum(a, b)[apart])
        whose.append(users[alive][apart])
    if not lows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    low, high, shopper = np.concatenate(lows), np.concatenate(highs), np.concatenate(whose)
    again = repeats[shopper]
    once = ~again
    upper = sp.coo_matrix(
        (np.ones(int(once.sum()), dtype=np.float32), (low[once], high[once])), shape=(n, n)
    ).tocsr()
    if again.any():
        keys = np.unique((low[again] * n + high[again]) * num_users + shopper[again])
        pair, shoppers = np.unique(keys // num_users, return_counts=True)
        upper = (
            upper
            + sp.coo_matrix(
                (shoppers.astype(np.float32), (pair // n, pair % n)), shape=(n, n)
            ).tocsr()
        )
    return (upper + upper.T).tocsr()


def bought_with_edges(
    snapshot: Snapshot,
    excluded_kinds: list[str],
    top_k: int,
    min_shoppers: int,
    window: int = 0,
) -> pa.Table:
    """The strongest ``top_k`` partners of every item, ties broken by the partner's id."""
    together = co_interaction_matrix(snapshot, excluded_kinds, window)
    item_ids = snapshot.items.column("id").combine_chunks()
    id_rank = np.empty(len(item_ids), dtype=np.int64)
    id_rank[pc.sort_indices(item_ids).to_numpy()] = np.arange(len(item_ids))
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    indptr, indices, data = together.indptr, together.indices, together.data
    for row in range(together.shape[0]):
        start, end = indptr[row], indptr[row + 1]
        counts, partners = data[start:end], indices[start:end]
        strong = counts >= min_shoppers
        counts, partners = counts[strong], partners[strong]
        if len(counts) == 0:
            continue
        order = np.lexsort((id_rank[partners], -counts))[:top_k]
        sources.append(np.full(len(order), row, dtype=np.int64))
        targets.append(partners[order])
        weights.append(counts[order])
    if not sources:
        return SCHEMAS["bought_with"].empty_table()
    return pa.table(
        {
            "item_id": item_ids.take(pa.array(np.concatenate(sources))),
            "other_id": item_ids.take(pa.array(np.concatenate(targets))),
            "weight": pa.array(np.concatenate(weights).astype(np.float64)),
        }
    )


def derive_bought_with(store: GraphStore) -> int:
    """Recompute the BOUGHT_WITH edges from the store's interactions, with the settings'
    kinds, ``top_k`` and ``min_shoppers``; how many there are."""
    settings = get_settings()
    edges = bought_with_edges(
        export_snapshot(store),
        settings.co_interaction_kinds_excluded,
        settings.bought_with_top_k,
        settings.bought_with_min_shoppers,
        window=int(settings.bought_with_window_days * DAY),
    )
    return store.replace_bought_with(edges)


def derive_bought_with_of(store: GraphStore, item_ids: list[str]) -> int:
    """Derive the BOUGHT_WITH edges from these items again, from the store's co-interaction
    counts, and swap only theirs; the same edges :func:`derive_bought_with` would give them."""
    settings = get_settings()
    excluded = sorted({*settings.co_interaction_kinds_excluded, *NEGATIVE_KINDS})
    window = int(settings.bought_with_window_days * DAY)
    counts = store.co_interaction_counts(item_ids, excluded, window)
    strong = counts.filter(
        pc.greater_equal(counts.column("shoppers"), settings.bought_with_min_shoppers)
    )
    ranked = strong.sort_by(
        [("item_id", "ascending"), ("shoppers", "descending"), ("other_id", "ascending")]
    )
    keep: list[int] = []
    sources = ranked.column("item_id").to_pylist()
    taken: dict[str, int] = {}
    for row, source in enumerate(sources):
        if taken.get(source, 0) < settings.bought_with_top_k:
            taken[source] = taken.get(source, 0) + 1
            keep.append(row)
    top = ranked.take(pa.array(keep, pa.int64()))
    edges = pa.table(
        {
            "item_id": top.column("item_id"),
            "other_id": top.column("other_id"),
            "weight": top.column("shoppers").cast(pa.float64()),
        }
    )
    return store.replace_bought_with(edges, of_items=list(item_ids))


def items_counted_for(store: GraphStore, user_id: str) -> list[str]:
    """The items whose BOUGHT_WITH weights count this shopper (their items of the kinds that
    count, when they have two or more: one alone pairs with nothing); in id order."""
    excluded = {*get_settings().co_interaction_kinds_excluded, *NEGATIVE_KINDS}
    events = store.recent_interactions(user_id, limit=1_000_000)
    items = sorted({e.item_id for e in events if e.kind not in excluded})
    return items if len(items) >= 2 else []
