"""What the Cypher backends share: query names, batch checks, and reads built on ``_rows``."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graphrec.errors import GraphRecError, InvalidInput
from graphrec.rules import Rule, parse_rule
from graphrec.store._tables import NODE_TABLES, REL_TABLES, require_unique
from graphrec.store.base import Change, GraphBatch, Interaction, Link
from graphrec.store.feed import change_of

NODE_QUERY = {
    "users": "upsert_users",
    "items": "upsert_items",
    "categories": "upsert_categories",
    "brands": "upsert_brands",
}
REL_QUERY = {
    "category_parents": "add_category_parents",
    "item_categories": "add_item_categories",
    "item_brands": "add_item_brands",
    "interactions": "add_interactions",
}
LINK_QUERIES = {
    "BOUGHT_WITH": "links_bought_with",
    "MADE_BY": "links_same_brand",
    "IN_CATEGORY": "links_same_category",
}

CO_INTERACTION_COUNTS = pa.schema(
    [("item_id", pa.string()), ("other_id", pa.string()), ("shoppers", pa.int64())]
)


def rule_params(rule: Rule) -> dict[str, Any]:
    """The parameters of ``put_rule``, refusing a rule without an id."""
    if not rule.id:
        raise InvalidInput("a rule kept in the store needs an id")
    return rule.as_dict()


def check_batch(batch: GraphBatch) -> None:
    """Refuse a batch whose ids or relationship keys repeat, before anything is written."""
    for name in NODE_TABLES:
        require_unique(getattr(batch, name), ("id",), name)
    for name in REL_QUERY:
        require_unique(getattr(batch, name), REL_TABLES[name][0], name)


class CypherReads:
    """The reads of :class:`~graphrec.store.base.GraphStore`, each one query file by name."""

    def _rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def counts(self) -> Any:
        raise NotImplementedError

    def problem(self) -> str | None:
        """What keeps the store from answering or writing now (for ``/ready``), else None."""
        try:
            self.counts()
        except GraphRecError as e:
            return str(e).split("\n")[0]
        return None

    def _replace_item_edges(
        self, name: str, edges: pa.Table, of_items: list[str] | None = None
    ) -> int:
        raise NotImplementedError

    def replace_bought_with(self, edges: pa.Table, of_items: list[str] | None = None) -> int:
        if of_items is not None:
            sources = edges.column("item_id").cast(pa.string())
            outside = pc.invert(pc.is_in(sources, value_set=pa.array(of_items, pa.string())))
            if pc.any(outside).as_py():
                first = edges.filter(outside).column("item_id")[0].as_py()
                raise InvalidInput(
                    f"bought_with: an edge from {first!r}, which is not among the items "
                    "whose edges are swapped; nothing was written"
                )
        return self._replace_item_edges("bought_with", edges, of_items)

    def replace_similar_to(self, edges: pa.Table) -> int:
        return self._replace_item_edges("similar_to", edges)

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        rows = self._rows("get_user", user_id=user_id)
        return rows[0] if rows else None

    def get_item(self, item_id: str) -> dict[str, Any] | None:
        rows = self._rows("get_item", item_id=item_id)
        if not rows:
            return None
        item = rows[0]
        brand_id, brand_name = item.pop("brand_id"), item.pop("brand_name")
        item["brand"] = {"id": brand_id, "name": brand_name} if brand_id is not None else None
        item["categories"] = self._rows("item_categories", item_id=item_id)
        return item

    def recent_interactions(self, user_id: str, limit: int = 50) -> list[Interaction]:
        return [
            Interaction(**row)
            for row in self._rows("recent_interactions", user_id=user_id, limit=limit)
        ]

    def bought_with(self, item_id: str, limit: int = 20) -> list[tuple[str, float]]:
        rows = self._rows("bought_with", item_id=item_id, limit=limit)
        return [(row["item_id"], row["weight"]) for row in rows]

    def similar_to(self, item_id: str, limit: int = 20) -> list[tuple[str, float]]:
        rows = self._rows("similar_to", item_id=item_id, limit=limit)
        return [(row["item_id"], row["score"]) for row in rows]

    def co_interactions(self, item_id: str, limit: int = 20) -> list[tuple[str, int]]:
        rows = self._rows("co_interactions", item_id=item_id, limit=limit)
        return [(row["item_id"], row["shoppers"]) for row in rows]

    def co_interaction_counts(
        self, item_ids: list[str], excluded: list[str], window: int = 0
    ) -> pa.Table:
        rows = self._rows(
            "co_interaction_counts",
            item_ids=list(item_ids),
            excluded=list(excluded),
            window=int(window),
        )
        return pa.Table.from_pylist(rows, schema=CO_INTERACTION_COUNTS)

    def item_activity(
        self, excluded: list[str], since: int, trend_half_life: float, popular_half_life: float
    ) -> list[dict[str, Any]]:
        return self._rows(
            "item_activity",
            excluded=list(excluded),
            since=int(since),
            trend_half_life=float(trend_half_life),
            popular_half_life=float(popular_half_life),
        )

    def rules(self) -> list[Rule]:
        return [parse_rule(row, f"(:Rule {{id: {row['id']!r}}})") for row in self._rows("rules")]

    def change_head(self) -> int:
        rows = self._rows("change_head")
        return int(rows[0]["seq"]) if rows else 0

    def changes(self, after: int, limit: int = 1000) -> list[Change]:
        return [change_of(row) for row in self._rows("changes", after=after, limit=limit)]

    def settings(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self._rows("settings")}

    def links(self, user_id: str, item_ids: list[str]) -> list[Link]:
        if not item_ids:
            return []
        found: list[Link] = []
        for relation, name in LINK_QUERIES.items():
            for row in self._rows(name, user_id=user_id, item_ids=list(item_ids)):
                found.append(Link(relation=relation, **row))
        return found

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
