"""Explanations: which reasons each recommended item gets, and the reasons as objects.

:meth:`Explainer.decide` chooses them in compiled code (:mod:`graphrec.serving.kernels`) from
the paths between the shopper's recent items and each item, strongest first in the order of
:data:`graphrec.serving.reasons.PRIORITY`; :meth:`Explainer.reasons_of` makes them (a compiled
operation's writer writes them as JSON instead, :mod:`graphrec.serving.render`). The path nodes
of items, shoppers, brands and categories and the popularity reasons are shared between
answers and never changed in place: an upsert replaces them, so encoders may keep their JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from graphrec.serving.compiled import Csr, Scratch
from graphrec.serving.events import Recent
from graphrec.serving.live import LiveGraph
from graphrec.serving.reason_kernels import (
    SOURCE_ROW,
    TOP_ROW,
    Counts,
    choose_reasons,
    common_shoppers,
    reason_sources,
)
from graphrec.serving.reasons import (
    BECAUSE,
    BOUGHT_WITH,
    EXPLORATION,
    PRIORITY,
    SAME_BRAND,
    SIMILAR_ITEM,
    SIMILAR_SHOPPERS,
    TRENDING,
    VERBS,
    Decided,
    Source,
    because,
    bought_with,
    exploration,
    popular,
    relationship,
    same_brand,
    same_category,
    similar_item,
    similar_shoppers,
    trending_in,
)
from graphrec.serving.results import PathNode, Reason, new_node, share

_NO_ITEMS = np.zeros(0, dtype=np.int64)
_NO_FLAGS = np.zeros(0, dtype=bool)
_NO_WEIGHT = np.zeros((0, 0), dtype=np.float64)
#: The row of :func:`reason_sources`' output each evidence code reads, and the co-interactions'.
_ROWS = SOURCE_ROW.tolist()
_CO_ROW = _ROWS[SIMILAR_SHOPPERS]


class Explainer:
    def __init__(
        self,
        live: LiveGraph,
        lock: threading.RLock,
        scratch: Callable[[], Scratch],
    ) -> None:
        """``lock``: the engine's (the kernels' ``scratch`` is shared with its ranking)."""
        self.live = live
        self.lock = lock
        self.scratch = scratch
        #: item -> its path node (replaced on an upsert)
        self.item_nodes: dict[int, PathNode] = {}
        #: the same for shoppers (those built at load), brands and categories
        self.user_nodes: dict[int, PathNode] = {}
        self.brand_nodes: dict[int, PathNode] = {}
        self.category_nodes: dict[int, PathNode] = {}
        #: (item, trending) -> its shared popularity or trending reason
        self.popularity_reasons: dict[tuple[int, bool], Reason] = {}
        #: the fewest shoppers a count of shoppers is shown with (``EngineConfig.min_support``)
        self.min_support = 2

    def prepare(self, users: int) -> None:
        """Every item's path node and popularity reasons, the first ``users`` shoppers',
        every brand's and category's node, made now (see ``Engine.prepare_views``)."""
        live = self.live
        for item in range(live.num_items):
            self.item_node(item)
            self.popularity_reason(item, trending=False)
            self.popularity_reason(item, trending=True)
        for user in range(min(len(live.user_ids), users)):
            self.user_nodes[user] = new_node("User", live.user_ids[user] or "", None)
        for brand in range(len(live.brand_ids)):
            self.brand_node(brand)
        for category in range(len(live.category_ids)):
            self.category_node(category)

    def forget(self, user: int) -> None:
        self.user_nodes.pop(user, None)

    def item_changed(self, item: int) -> None:
        self.item_nodes.pop(item, None)

    def decide(
        self,
        user: int | None,
        recent: Recent,
        items: list[int],
        limit: int,
        mine: np.ndarray | None = None,
        explored: set[int] | None = None,
        fill: bool = False,
        trending: bool = False,
        every: bool = False,
        weight: np.ndarray | None = None,
    ) -> Decided:
        """Which reasons each of ``items`` gets, from the paths between ``recent`` (the
        shopper's newest distinct events) and it, strongest first (see
        :func:`choose_reasons`): exploration where it filled the slot (``explored``), the
        evidence of the graph in the order of :data:`PRIORITY`, then, with ``fill``, the
        trending (``trending``) or popularity reason; at most ``limit``. ``mine``: the items
        of all the shopper's events, sorted, when the caller has them. ``every``: every path,
        whatever its count, the same fact by two paths included (explain's every).
        ``weight``: ``[items, recent]``, what each recent item adds to each item's score
        (:func:`.contributions.contributions`): each reason names the one that adds most, and
        the reason whose item adds most comes first."""
        live = self.live
        links = live.links()  # every relationship at once: one slice per recent item
        attributes = live.item_attributes()
        sources = recent.items
        wanted = np.asarray(items, dtype=np.int64)
        weights = _NO_WEIGHT if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
        with self.lock:  # for the scratch
            position, value, link, category = reason_sources(
                Csr(links.indptr, links.indices, links.data), len(live.LINKS), sources, wanted,
                attributes, self.scratch().slot, weights,
            )  # fmt: skip
        co = _CO_ROW
        other, together, unresolved = common_shoppers(
            position[co], value[co], link[co], sources, wanted, links.data,
            live.lowest_common(), -1 if user is None else user,
            _NO_ITEMS if user is None or mine is None else mine, live.touched,
        )  # fmt: skip
        if user is not None and len(unresolved):  # rare: items changed since load
            had = None if mine is None else set(mine.tolist())
            for j in unresolved.tolist():
                item = items[j]
                found = live.common_shopper(
                    user,
                    int(sources[position[co, j]]),
                    item,
                    int(link[co, j]),
                    had_both=None if had is None else item in had,
                )
                if found is not None:
                    other[j], together[j] = found
        chosen = choose_reasons(
            position, value, sources, wanted, together, limit,
            _flags(items, explored) if explored else _NO_FLAGS,
            fill, trending, Counts(live.activity.recent, live.activity.shoppers),
            attributes.category_indptr, 1 if every else self.min_support, not every, weights,
        )  # fmt: skip
        return Decided(chosen, sources, position, value, category, other, together)

    def reasons_of(
        self, user_node: PathNode, recent: Recent, items: list[int], decided: Decided
    ) -> list[list[Reason]]:
        """The reasons :meth:`decide` chose, as objects."""
        live = self.live
        sources = [
            Source(
                event.item,
                self.item_node(event.item),
                live.title(event.item),
                VERBS.get(event.kind, "chose"),
                relationship("INTERACTED", 0, 1, event.kind),
            )
            for event in recent
        ]
        nodes, item_node = self.item_nodes, self.item_node
        position, value = decided.position.tolist(), decided.value.tolist()
        categories = decided.category.tolist()
        together = decided.together.tolist()
        answers = []
        for j, (item, codes) in enumerate(zip(items, decided.chosen.tolist(), strict=True)):
            target = nodes.get(item) or item_node(item)
            out: list[Reason] = []
            for code in codes:
                if code < 0:
                    break
                if code == BECAUSE:
                    out.append(because(user_node, sources[position[TOP_ROW][j]]))
                    continue
                if code >= TRENDING:
                    out.append(
                        self.exploration_reason(item)
                        if code == EXPLORATION
                        else self.popularity_reason(item, trending=code == TRENDING)
                    )
                    continue
                row = _ROWS[code]
                source = sources[position[row][j]]
                if code == BOUGHT_WITH:
                    reason = bought_with(user_node, source, target, value[row][j])
                elif code == SIMILAR_SHOPPERS:
                    reason = similar_shoppers(user_node, source, target, together[j])
                elif code == SIMILAR_ITEM:
                    reason = similar_item(user_node, source, target, value[row][j])
                elif code == SAME_BRAND:
                    brand = self.brand_node(live.brand[item])
                    reason = same_brand(user_node, source, brand, target)
                else:
                    category = self.category_node(categories[j])
                    reason = same_category(user_node, source, category, target)
                out.append(reason)
            answers.append(out)
        return answers

    def exploration_reason(self, item: int) -> Reason:
        return exploration(self.item_node(item))

    def item_node(self, item: int) -> PathNode:
        node = self.item_nodes.get(item)
        if node is None:
            node = PathNode(label="Item", id=self.live.item_ids[item], name=self.live.titles[item])
            self.item_nodes[item] = node
        return node

    def user_node(self, user: int) -> PathNode:
        """The shopper's node: the one built at load (:meth:`prepare_views`), else a new one
        (kept nowhere: shoppers who arrive while serving would otherwise grow memory)."""
        node = self.user_nodes.get(user)
        return node if node is not None else new_node("User", self.live.user_ids[user] or "", None)

    def brand_node(self, brand: int) -> PathNode:
        node = self.brand_nodes.get(brand)
        if node is None:
            live = self.live
            node = PathNode(label="Brand", id=live.brand_ids[brand], name=live.brand_names[brand])
            self.brand_nodes[brand] = node
        return node

    def category_node(self, category: int) -> PathNode:
        node = self.category_nodes.get(category)
        if node is None:
            live = self.live
            node = PathNode(
                label="Category", id=live.category_ids[category], name=live.category_names[category]
            )
            self.category_nodes[category] = node
        return node

    def popularity_reason(self, item: int, trending: bool) -> Reason:
        """The item's trending reason (``trending``, when it trends) or its popularity reason.
        Both are shared between answers until the count, the item or its category changes:
        about half the items of an answer end with one."""
        live, activity = self.live, self.live.activity
        trends = trending and activity.recent[item] > 0 and bool(live.item_categories[item])
        count = float(activity.recent[item] if trends else activity.shoppers[item])
        node = self.item_node(item)
        category = self.category_node(live.item_categories[item][0]) if trends else None
        key = (item, trends)
        cached = self.popularity_reasons.get(key)
        if (
            cached is not None
            and cached.support == count
            and cached.path.nodes[0] is node
            and (category is None or cached.path.nodes[1] is category)
        ):
            return cached
        if category is not None:
            reason = trending_in(node, category, count, self.trending_days)
        else:
            reason = popular(node, count)
        self.popularity_reasons[key] = share(reason)
        return reason

    @property
    def trending_days(self) -> int:
        return round(self.live.activity.settings.window_days)

    def evidence(
        self, user_id: str, recent: Recent, item: int, limit: int = len(PRIORITY)
    ) -> list[Reason]:
        """Paths from the shopper's recent items to ``item``, the strongest of each kind, in
        the order of :data:`PRIORITY`, at most ``limit`` of them."""
        user = self.live.user(user_id)
        decided = self.decide(user, recent, [item], limit)
        node = self.user_node(user) if user is not None else new_node("User", user_id, None)
        return self.reasons_of(node, recent, [item], decided)[0]

    def explain(
        self,
        user: int,
        recent: Recent,
        mine: np.ndarray,
        item: int,
        limit: int,
        every: bool = False,
        weight: np.ndarray | None = None,
    ) -> list[Reason]:
        """The reasons the shopper's answer gives ``item`` (from the same ``recent`` items, at
        most ``limit``, ``weight`` as :meth:`decide`'s); with ``every``, then every other path
        from each of those items to it (each kind once per recent item), strongest first."""
        with self.lock:
            node = self.user_node(user)
            decided = self.decide(user, recent, [item], limit, mine, fill=True, weight=weight)
            reasons = self.reasons_of(node, recent, [item], decided)[0]
            if not every:
                return reasons
            shown = {_fact(r) for r in reasons}
            more: list[Reason] = []
            for event in recent:
                one = Recent.of([event])
                found = self.decide(user, one, [item], len(PRIORITY), mine, every=True)
                for reason in self.reasons_of(node, one, [item], found)[0]:
                    if _fact(reason) not in shown:
                        shown.add(_fact(reason))
                        more.append(reason)
        more.sort(key=lambda r: (-PRIORITY[r.kind], -r.support))
        return reasons + more


def _fact(reason: Reason) -> tuple[object, ...]:
    """What a reason states: its kind and the nodes of its path."""
    return (reason.kind, *(node.id for node in reason.path.nodes))


def _flags(items: list[int], marked: set[int]) -> np.ndarray:
    """Per item of ``items``, whether it is in ``marked`` (a few of them)."""
    flags = np.zeros(len(items), dtype=bool)
    for item in marked.intersection(items):
        flags[items.index(item)] = True
    return flags
