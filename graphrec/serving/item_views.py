"""Items as answers show them (:class:`.results.Item`), made once per item and kept until the
item changes."""

from __future__ import annotations

from graphrec.serving.live import LiveGraph
from graphrec.serving.results import Brand, Category, Item


class ItemViews:
    def __init__(self, live: LiveGraph) -> None:
        self.live = live
        self._views: dict[int, Item] = {}

    def __call__(self, index: int) -> Item:
        found = self._views.get(index)
        if found is None:
            found = self._views[index] = self._make(index)
        return found

    def __len__(self) -> int:
        """How many views are made."""
        return len(self._views)

    def drop(self, index: int) -> None:
        """The item changed: its view is made again on next use."""
        self._views.pop(index, None)

    def _make(self, index: int) -> Item:
        live = self.live
        brand = live.brand[index]
        categories = [
            Category(id=live.category_ids[c], name=live.category_names[c])
            for c in live.item_categories[index]
        ]
        return Item(
            id=live.item_ids[index],
            title=live.titles[index],
            price=live.prices[index],
            in_stock=bool(live.in_stock[index]),
            brand=Brand(id=live.brand_ids[brand], name=live.brand_names[brand])
            if brand >= 0
            else None,
            category=categories[0] if categories else None,
            categories=categories,
        )
