"""The in-memory mirror of the graph that serving answers from.

Built once from a fresh snapshot of the store (plus its ``BOUGHT_WITH`` and ``SIMILAR_TO``
edges), then kept in step by every write that goes through the engine: the engine writes to the
store first and applies the change here only when the store has committed it. So every path a
reason shows was in the store when it was answered, and no request needs a store round trip.

Histories are CSR arrays (newest first per user) plus a small dict of live events; items and
users that arrive while serving are appended.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import NEGATIVE_KINDS
from graphrec.serving.activity import Activity, ActivitySettings
from graphrec.serving.compiled import ItemAttributes
from graphrec.serving.events import Event, Recent
from graphrec.serving.evidence import (
    LINKS,
    Shared,
    derive_links,
    edges_matrix,
    from_arrays,
    to_arrays,
)
from graphrec.serving.sparse import grow, top_per_row

#: Item pairs whose common shoppers are kept (about 100 bytes each) before starting afresh.
COMMON_PAIRS = 200_000


class LiveGraph:
    """Items, users, histories and item-item edges, indexed by contiguous ints."""

    def __init__(
        self,
        snapshot: Snapshot,
        bought_with: pa.Table,
        similar_to: pa.Table,
        activity: ActivitySettings | None = None,
        co_top_k: int = 50,
        shared: Shared | None = None,
    ) -> None:
        """``shared``: where the co-interaction evidence, the same in every process loaded
        from the same data, is made once per machine (:class:`.shared_arrays.SharedArrays`)."""
        items = snapshot.items
        self.item_ids: list[str] = items.column("id").to_pylist()
        self.item_index = {item: i for i, item in enumerate(self.item_ids)}
        self.titles: list[str | None] = items.column("title").to_pylist()
        self.prices: list[float | None] = items.column("price").to_pylist()
        self.in_stock = np.array(
            [True if v is None else bool(v) for v in items.column("in_stock").to_pylist()],
            dtype=bool,
        )
        self.brand: list[int] = [-1 if b is None else int(b) for b in items.column("brand")]
        #: per item, when it was added (Unix seconds; 0: not known)
        self.created_at = np.asarray(
            items.column("created_at").fill_null(0).to_numpy(), dtype=np.int64
        ).copy()
        self.brand_ids: list[str] = snapshot.brands.column("id").to_pylist()
        self.brand_names: list[str | None] = snapshot.brands.column("name").to_pylist()
        self.brand_index = {b: i for i, b in enumerate(self.brand_ids)}
        cats = snapshot.categories
        self.category_ids: list[str] = cats.column("id").to_pylist()
        self.category_names: list[str | None] = cats.column("name").to_pylist()
        self.category_parent: list[int] = [-1 if p is None else int(p) for p in cats["parent"]]
        self.category_index = {c: i for i, c in enumerate(self.category_ids)}
        self.item_categories: list[list[int]] = [[] for _ in self.item_ids]
        pairs = snapshot.item_categories
        for item, category in zip(
            pairs.column("item").to_numpy(), pairs.column("category").to_numpy(), strict=True
        ):
            self.item_categories[int(item)].append(int(category))
        self.category_items: dict[int, list[int]] = {}
        for item, categories in enumerate(self.item_categories):
            for category in categories:
                self.category_items.setdefault(category, []).append(item)

        self.user_ids: list[str | None] = snapshot.users.column("id").to_pylist()
        self.user_index: dict[str, int] = {u: i for i, u in enumerate(self.user_ids) if u}
        kinds: list[str] = snapshot.meta["kinds"]
        self.kind_names = list(kinds)
        users, its = snapshot.column("user"), snapshot.column("item")
        ts, kind = snapshot.column("ts"), snapshot.column("kind")
        order = np.lexsort((-ts, users))  # by user, newest first
        self.hist_items = its[order].astype(np.int32)
        self.hist_ts = ts[order].astype(np.int64)
        self.hist_kind = kind[order].astype(np.int16)
        self.hist_indptr = np.zeros(len(self.user_ids) + 1, dtype=np.int64)
        np.add.at(self.hist_indptr, users.astype(np.int64) + 1, 1)
        np.cumsum(self.hist_indptr, out=self.hist_indptr)
        self.live: dict[int, list[Event]] = {}
        self.forgotten: set[int] = set()
        #: Bumped by every change, so caches of derived answers know when to drop them.
        self.version = 0
        #: Per shopper (by id): what an answer cache must check (the catalogue's: below).
        self.user_versions: dict[str, int] = {}
        #: Bumped by every upsert: what caches of the catalogue check ...
        self.catalogue_version = 0
        #: ... and per item, the version of its last upsert (0: none since load): what the
        #: reason writer's tables and its items' JSON follow
        self.item_versions = np.zeros(len(self.item_ids), dtype=np.int64)
        #: category -> how many times an event raised the trend of an item in it
        self.trend_versions: dict[int, int] = {}
        #: the kinds whose interactions show interest (not ``not_interested``), by code
        self.interested_kinds = np.array([k not in NEGATIVE_KINDS for k in kinds], dtype=bool)
        self._shopper_sets: dict[int, frozenset[int]] = {}
        #: (item, item) -> (shoppers of both, the lowest of them or -1), kept until any item's
        #: shoppers change
        self._common: dict[tuple[int, int], tuple[int, int]] = {}
        #: Per item: whether its shoppers changed since load (events, privacy deletes): its
        #: pairs' common shoppers are no longer those computed at load (see
        #: :meth:`common_shopper`).
        self.touched = np.zeros(len(self.item_ids), dtype=bool)
        self._attributes: tuple[int, ItemAttributes] | None = None

        n = len(self.item_ids)
        interested = self.interested_kinds[kind] if len(kind) else np.zeros(0, dtype=bool)
        self.activity = Activity.from_events(
            users, its, ts, interested, n, activity or ActivitySettings()
        )
        users, its = users[interested], its[interested]  # only interest links items
        binary = sp.csr_matrix(
            (np.ones(len(users), dtype=np.float32), (its, users)), shape=(n, len(self.user_ids))
        )
        binary.sum_duplicates()
        binary.data[:] = 1.0
        self.item_users = binary.tocsr()
        self.item_users.sort_indices()
        self.live_item_users: dict[int, list[int]] = {}

        self.bought_with = edges_matrix(bought_with, "weight", self.item_index)
        self.similar_to = edges_matrix(similar_to, "score", self.item_index)

        def evidence() -> dict[str, np.ndarray]:
            together = (binary @ binary.T).tocsr()
            together.setdiag(0)
            together.eliminate_zeros()
            co_counts = top_per_row(together, co_top_k)
            links = derive_links(self.bought_with, self.similar_to, co_counts, self.item_users)
            return {"co_counts": co_counts, **links}  # type: ignore[dict-item]

        made = to_arrays(evidence()) if shared is None else shared(lambda: to_arrays(evidence()))
        self.co_counts = from_arrays(made, "co_counts", (n, n))
        self._links = (
            n,
            from_arrays(made, "stacked", (n, len(self.LINKS) * n)),
            from_arrays(made, "evidence", (n, n)),
            made["lowest"],
        )

    # -- lookups ---------------------------------------------------------------------------
    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    @property
    def num_users(self) -> int:
        return len(self.user_ids)

    def user(self, user_id: str) -> int | None:
        return self.user_index.get(user_id)

    def history(self, user: int, limit: int | None = None) -> list[Event]:
        """The user's events, newest first (the ``limit`` newest)."""
        items, kinds, times = (a[:limit] for a in self.events(user))
        return list(Recent(items, kinds, times, self.kind_names))

    def events(self, user: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The user's events, newest first, as arrays (no object per event): items, kinds
        (codes into ``kind_names``) and times."""
        start = self.hist_indptr[user]
        end = self.hist_indptr[user + 1] if user + 1 < len(self.hist_indptr) else start
        items = self.hist_items[start:end].astype(np.int64)
        kinds = self.hist_kind[start:end].astype(np.int64)
        times = self.hist_ts[start:end]
        added = self.live.get(user)
        if added:
            fresh = added[::-1]
            items = np.concatenate([np.array([e.item for e in fresh], dtype=np.int64), items])
            codes = [self.kind_code(e.kind) for e in fresh]
            kinds = np.concatenate([np.array(codes, dtype=np.int64), kinds])
            times = np.concatenate([np.array([e.ts for e in fresh], dtype=np.int64), times])
        return items, kinds, times

    def kind_code(self, kind: str) -> int:
        """An event kind's code in ``kind_names`` (a kind first seen live is added)."""
        try:
            return self.kind_names.index(kind)
        except ValueError:
            self.kind_names.append(kind)
            return len(self.kind_names) - 1

    def title(self, item: int) -> str:
        """An item as a sentence names it: its title, else "item" and its id."""
        return self.titles[item] or f"item {self.item_ids[item]}"

    def item_shoppers(self, item: int) -> np.ndarray:
        """Users who interacted with the item (snapshot and live), forgotten users left out."""
        row = self.item_users.indices[
            self.item_users.indptr[item] : self.item_users.indptr[item + 1]
        ]
        live = self.live_item_users.get(item)
        if live:
            row = np.union1d(row, np.array(live, dtype=row.dtype))
        if self.forgotten:
            row = row[~np.isin(row, np.fromiter(self.forgotten, dtype=np.int64))]
        return row

    #: The item-item relationships, in the order of the codes :meth:`links` gives them.
    LINKS = LINKS

    def links(self) -> sp.csr_matrix:
        """All item-item relationships in one matrix (n x 3n): row i holds i's neighbours
        ``j`` in :data:`LINKS` ``[c]`` at column ``c * n + j``, so one slice per item reads them
        all."""
        return self._derived()[1]

    def evidence_links(self) -> sp.csr_matrix:
        """The graph evidence an item gives another: its bought-with shoppers or half its
        co-interaction count, whichever is larger (float64, positive values only)."""
        return self._derived()[2]

    def _derived(self) -> tuple[int, sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        if self._links[0] != self.num_items:  # items added: made again, in this process
            made = derive_links(self.bought_with, self.similar_to, self.co_counts, self.item_users)
            self._links = (self.num_items, made["stacked"], made["evidence"], made["lowest"])
        return self._links

    def lowest_common(self) -> np.ndarray:
        """Parallel to :meth:`links`: each co-interaction's lowest-numbered shopper as loaded
        (-1 for the other relationships)."""
        return self._derived()[3]

    def item_attributes(self) -> ItemAttributes:
        """Each item's brand (-1: none) and categories (CSR: indptr, indices, in the item's
        order) as arrays, for the compiled loops; made again after a catalogue change."""
        if self._attributes is None or self._attributes[0] != self.catalogue_version:
            brand = np.asarray(self.brand, dtype=np.int64)
            sizes = np.fromiter((len(c) for c in self.item_categories), dtype=np.int64)
            indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
            np.cumsum(sizes, out=indptr[1:])
            indices = np.fromiter(
                itertools.chain.from_iterable(self.item_categories), dtype=np.int64
            )
            self._attributes = (self.catalogue_version, ItemAttributes(brand, indptr, indices))
        return self._attributes[1]

    def common_shopper(
        self, user: int, first: int, second: int, link: int = -1, had_both: bool | None = None
    ) -> tuple[int, int] | None:
        """The lowest-numbered other shopper who had both items, and how many other shoppers
        had both. ``link``: the position in :meth:`links` of their co-interaction, if any;
        ``had_both``: whether ``user`` had both, when the caller knows (from their history)."""
        found: tuple[int, int] | None = None
        if link >= 0 and not self.touched[first] and not self.touched[second]:
            _, stacked, _, lowest = self._derived()  # both items as loaded: stored at load
            found = (int(stacked.data[link]), int(lowest[link]))
        key = (first, second) if first < second else (second, first)
        if found is None:
            found = self._common.get(key)
        if found is None:  # pairs repeat across shoppers: the set work is done once a pair
            if len(self._common) >= COMMON_PAIRS:
                self._common.clear()
            both = self.shopper_set(first) & self.shopper_set(second)  # walks the smaller set
            found = self._common[key] = (len(both), min(both, default=-1))
        count, shopper = found
        if had_both is None:
            had_both = user in self.shopper_set(first) and user in self.shopper_set(second)
        if had_both:
            count -= 1
            if shopper == user and count:  # rare: the next lowest, from the sets
                shopper = min((self.shopper_set(first) & self.shopper_set(second)) - {user})
        return (shopper, count) if count > 0 else None

    def shopper_set(self, item: int) -> frozenset[int]:
        """:meth:`item_shoppers` as a set, kept until that item's shoppers change."""
        found = self._shopper_sets.get(item)
        if found is None:
            found = self._shopper_sets[item] = frozenset(self.item_shoppers(item).tolist())
        return found

    # -- changes (applied after the store committed them) ----------------------------------
    def changed(self) -> None:
        self.version += 1

    def _touch(self, user: int) -> None:
        user_id = self.user_ids[user]
        if user_id is not None:
            self.user_versions[user_id] = self.user_versions.get(user_id, 0) + 1

    def add_user(self, user_id: str) -> int:
        index = self.user_index.get(user_id)
        if index is not None:
            return index
        self.user_ids.append(user_id)
        self.user_index[user_id] = len(self.user_ids) - 1
        self.hist_indptr = np.append(self.hist_indptr, self.hist_indptr[-1])
        return len(self.user_ids) - 1

    def record(self, user_id: str, event: Event) -> bool:
        """Add a shopper's event unless they have it already: the store keeps an event once
        per user, item, kind and time, and so does memory. Whether it was added."""
        user = self.add_user(user_id)
        items, kinds, times = self.events(user)
        code = self.kind_code(event.kind)
        same_item = items == event.item
        if (same_item & (kinds == code) & (times == event.ts)).any():
            return False
        self.changed()
        self._touch(user)
        self.live.setdefault(user, []).append(event)
        if self.is_interest(code):
            interested = same_item & self.is_interest(kinds)
            self._add_interest(user, event, before=times[interested])
        return True

    def is_interest(self, codes: np.ndarray | int) -> np.ndarray:
        """Whether events of these kind codes show interest (``not_interested`` does not)."""
        if len(self.interested_kinds) < len(self.kind_names):  # kinds first seen live
            added = [k not in NEGATIVE_KINDS for k in self.kind_names[len(self.interested_kinds) :]]
            self.interested_kinds = np.append(self.interested_kinds, added)
        return self.interested_kinds[codes]

    def _add_interest(self, user: int, event: Event, before: np.ndarray) -> None:
        if not len(before):
            self.live_item_users.setdefault(event.item, []).append(user)
            self.touched[event.item] = True
            self._shopper_sets.pop(event.item, None)
            self._common.clear()
        self.activity.add(event.item, event.ts, before)
        for category in self.item_categories[event.item]:  # their trending lists change
            self.trend_versions[category] = self.trend_versions.get(category, 0) + 1

    def forget(self, user: int) -> None:
        self.changed()
        self._touch(user)
        user_id = self.user_ids[user]
        if user_id is not None:
            del self.user_index[user_id]
        self.user_ids[user] = None
        start, end = self.hist_indptr[user], self.hist_indptr[user + 1]
        items, kinds, times = self.events(user)
        interested = self.is_interest(kinds)
        self.activity.remove(items[interested], times[interested])
        self.touched[items] = True
        self.live.pop(user, None)
        self.hist_indptr[user + 1 :] -= end - start
        self.hist_items = np.delete(self.hist_items, np.s_[start:end])
        self.hist_ts = np.delete(self.hist_ts, np.s_[start:end])
        self.hist_kind = np.delete(self.hist_kind, np.s_[start:end])
        self.forgotten.add(user)
        self._shopper_sets.clear()
        self._common.clear()

    def upsert_item(
        self,
        item_id: str,
        title: str | None,
        price: float | None,
        in_stock: bool,
        brand: tuple[str, str | None] | None,
        categories: list[tuple[str, str | None]],
        created_at: int | None = None,
    ) -> tuple[int, bool]:
        """Add or update an item; returns its index and whether it is new."""
        self.changed()
        index = self.item_index.get(item_id)
        new = index is None
        if index is None:
            index = len(self.item_ids)
            self.item_ids.append(item_id)
            self.item_index[item_id] = index
            self.titles.append(title)
            self.prices.append(price)
            self.in_stock = np.append(self.in_stock, in_stock)
            self.created_at = np.append(self.created_at, created_at or 0)
            self.brand.append(-1)
            self.item_categories.append([])
            self.activity.grow(index + 1)
            self.touched = np.append(self.touched, False)
            self.item_versions = np.append(self.item_versions, 0)
            for name in ("bought_with", "similar_to", "co_counts", "item_users"):
                matrix: sp.csr_matrix = getattr(self, name)
                setattr(self, name, grow(matrix, index + 1, name != "item_users"))
        else:
            self.titles[index], self.prices[index], self.in_stock[index] = title, price, in_stock
            if created_at is not None:
                self.created_at[index] = created_at
        self.catalogue_version += 1
        self.item_versions[index] = self.catalogue_version
        if brand is not None:
            brand_id, brand_name = brand
            if brand_id not in self.brand_index:
                self.brand_index[brand_id] = len(self.brand_ids)
                self.brand_ids.append(brand_id)
                self.brand_names.append(brand_name)
            self.brand[index] = self.brand_index[brand_id]
        for category_id, category_name in categories:
            if category_id not in self.category_index:
                self.category_index[category_id] = len(self.category_ids)
                self.category_ids.append(category_id)
                self.category_names.append(category_name)
                self.category_parent.append(-1)
            category = self.category_index[category_id]
            if category not in self.item_categories[index]:
                self.item_categories[index].append(category)
                self.category_items.setdefault(category, []).append(index)
        return index, new
