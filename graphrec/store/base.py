"""The graph-store protocol every backend implements, and the batch it writes.

The graph model (see README, "The graph model"):

    (:User {id})-[:INTERACTED {kind, weight, rating, ts, split}]->(:Item {id, title, price,
    in_stock, created_at})
    (:Item)-[:IN_CATEGORY]->(:Category {id, name})-[:SUBCATEGORY_OF]->(:Category)
    (:Item)-[:MADE_BY]->(:Brand {id, name})
    (:Item)-[:BOUGHT_WITH {weight}]->(:Item)        derived by graphrec.graph.derive
    (:Item)-[:SIMILAR_TO {score}]->(:Item)          written back by training, with
    Item.embedding                                  (a vector index on it in Neo4j)

Every table below travels as a ``pyarrow.Table`` with exactly the columns of its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from graphrec.rules import Rule

NODE_LABELS = ("User", "Item", "Category", "Brand")
REL_TYPES = ("INTERACTED", "IN_CATEGORY", "SUBCATEGORY_OF", "MADE_BY", "BOUGHT_WITH", "SIMILAR_TO")

SCHEMAS: dict[str, pa.Schema] = {
    "users": pa.schema([("id", pa.string())]),
    "items": pa.schema(
        [
            ("id", pa.string()),
            ("title", pa.string()),
            ("price", pa.float64()),
            ("in_stock", pa.bool_()),
            ("created_at", pa.int64()),
        ]
    ),
    "categories": pa.schema([("id", pa.string()), ("name", pa.string())]),
    "brands": pa.schema([("id", pa.string()), ("name", pa.string())]),
    "category_parents": pa.schema([("category_id", pa.string()), ("parent_id", pa.string())]),
    "item_categories": pa.schema([("item_id", pa.string()), ("category_id", pa.string())]),
    "item_brands": pa.schema([("item_id", pa.string()), ("brand_id", pa.string())]),
    "interactions": pa.schema(
        [
            ("user_id", pa.string()),
            ("item_id", pa.string()),
            ("kind", pa.string()),
            ("weight", pa.float64()),
            ("rating", pa.float64()),
            ("ts", pa.int64()),
            ("split", pa.string()),
        ]
    ),
    "bought_with": pa.schema(
        [("item_id", pa.string()), ("other_id", pa.string()), ("weight", pa.float64())]
    ),
    "similar_to": pa.schema(
        [("item_id", pa.string()), ("other_id", pa.string()), ("score", pa.float64())]
    ),
    "item_embeddings": pa.schema([("item_id", pa.string()), ("embedding", pa.list_(pa.float32()))]),
}

#: The key that makes an interaction the same event twice (loading twice changes nothing).
INTERACTION_KEY = ("user_id", "item_id", "kind", "ts")


def empty_table(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


@dataclass
class GraphBatch:
    """Nodes and relationships to upsert in one atomic write.

    Node tables are upserts by id (new ids are created, properties of known ids are updated);
    relationship tables only add what is missing (an interaction is identified by
    :data:`INTERACTION_KEY`).
    """

    users: pa.Table = field(default_factory=lambda: empty_table("users"))
    items: pa.Table = field(default_factory=lambda: empty_table("items"))
    categories: pa.Table = field(default_factory=lambda: empty_table("categories"))
    brands: pa.Table = field(default_factory=lambda: empty_table("brands"))
    category_parents: pa.Table = field(default_factory=lambda: empty_table("category_parents"))
    item_categories: pa.Table = field(default_factory=lambda: empty_table("item_categories"))
    item_brands: pa.Table = field(default_factory=lambda: empty_table("item_brands"))
    interactions: pa.Table = field(default_factory=lambda: empty_table("interactions"))

    def __post_init__(self) -> None:
        for f in fields(self):
            table = getattr(self, f.name)
            schema = SCHEMAS[f.name]
            if table.schema.names != schema.names:
                raise ValueError(
                    f"GraphBatch.{f.name} needs columns {schema.names}, got {table.schema.names}"
                )
            setattr(self, f.name, table.cast(schema))

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    def sizes(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables()}


@dataclass(frozen=True)
class WriteSummary:
    """What a write changed: rows created and nodes updated, per table, and the number of the
    change feed's entry that records it."""

    created: dict[str, int]
    updated: dict[str, int]
    change: int = 0

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


@dataclass(frozen=True)
class Interaction:
    item_id: str
    kind: str
    weight: float
    rating: float | None
    ts: int


@dataclass(frozen=True)
class Link:
    """A path of length two from one of a user's items to a candidate item.

    ``user_item_id -[relation]-> via -> item_id``: for ``BOUGHT_WITH`` the via node is the
    candidate itself; for ``MADE_BY``/``IN_CATEGORY`` it is the shared brand or category.
    """

    item_id: str
    user_item_id: str
    relation: str
    via_id: str
    via_name: str | None
    weight: float


@dataclass(frozen=True)
class Change:
    """One entry of the change feed (:mod:`graphrec.store.feed`): its number, when it was
    written (Unix seconds), its kind and its body."""

    seq: int
    at: int
    kind: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Counts:
    nodes: dict[str, int]
    relationships: dict[str, int]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"nodes": dict(self.nodes), "relationships": dict(self.relationships)}


@runtime_checkable
class GraphStore(Protocol):
    """One small interface over every backend; the behaviour suite in tests/store pins it down."""

    url: str
    #: Whether other processes may write to it while this one has it open (serving then
    #: follows the change feed; see :mod:`graphrec.serving.follow`).
    shared: bool

    def write(self, batch: GraphBatch) -> WriteSummary:
        """Upsert a batch atomically: on any error nothing of it is kept."""

    def replace_bought_with(self, edges: pa.Table, of_items: list[str] | None = None) -> int:
        """Swap every BOUGHT_WITH edge for ``edges`` (schema ``bought_with``); returns the count.
        With ``of_items``, only the edges from those items are swapped, and every edge given
        must start at one of them."""

    def write_item_embeddings(self, rows: pa.Table) -> int:
        """Set ``Item.embedding`` (schema ``item_embeddings``); returns the items matched."""

    def replace_similar_to(self, edges: pa.Table) -> int:
        """Swap every SIMILAR_TO edge for ``edges`` (schema ``similar_to``)."""

    def similar_to(self, item_id: str, limit: int = 20) -> list[tuple[str, float]]:
        """The written-back SIMILAR_TO neighbours of an item, most similar first."""

    def get_user(self, user_id: str) -> dict[str, Any] | None: ...

    def get_item(self, item_id: str) -> dict[str, Any] | None:
        """The item's properties plus ``brand`` ({id, name} or None) and ``categories``."""

    def recent_interactions(self, user_id: str, limit: int = 50) -> list[Interaction]:
        """Newest first (ties broken by item id)."""

    def bought_with(self, item_id: str, limit: int = 20) -> list[tuple[str, float]]:
        """The derived BOUGHT_WITH partners of an item, strongest first."""

    def co_interactions(self, item_id: str, limit: int = 20) -> list[tuple[str, int]]:
        """Items others interacted with beside this one, counted live by distinct shoppers."""

    def co_interaction_counts(
        self, item_ids: list[str], excluded: list[str], window: int = 0
    ) -> pa.Table:
        """What ``BOUGHT_WITH`` is derived from, for these items only: ``item_id``,
        ``other_id``, ``shoppers`` (distinct shoppers with an interaction of a kind not in
        ``excluded`` on both, at most ``window`` seconds apart when > 0 and both have a time
        other than 0, test-split interactions left out), one row per pair."""

    def item_activity(
        self, excluded: list[str], since: int, trend_half_life: float, popular_half_life: float
    ) -> list[dict[str, Any]]:
        """Per item with an interaction of a kind not in ``excluded``: ``item_id``, ``newest``
        (its newest such ``ts``), ``shoppers`` (distinct users), ``recent`` (distinct users at
        or after ``since``), ``trend_sum`` and ``popular_sum`` (each interaction weighted
        ``2 ** ((ts - newest) / half_life)``, seconds)."""

    def links(self, user_id: str, item_ids: list[str]) -> list[Link]:
        """Every BOUGHT_WITH, same-brand and same-category link from the user's items to these."""

    def explore(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the saved read query ``cypher/explore/<name>.cypher`` (the merchandisers'
        questions) with these parameters; rows as dicts, nodes as dicts of properties."""

    def stream(self, table: str, batch_size: int = 250_000) -> Iterator[pa.RecordBatch]:
        """Stream a whole table (any name in :data:`SCHEMAS`) as Arrow batches."""

    def delete_user(self, user_id: str) -> bool:
        """Delete the user and every relationship attached; False if there was no such user."""

    def rules(self) -> list[Rule]:
        """The business rules kept as ``(:Rule)`` nodes, in id order."""

    def put_rule(self, rule: Rule) -> None:
        """Create or replace the rule with ``rule.id`` (which it must have)."""

    def delete_rule(self, rule_id: str) -> bool:
        """Delete a rule; False if there was none with that id."""

    def counts(self) -> Counts: ...

    def problem(self) -> str | None:
        """What keeps the store from answering or writing now (for ``/ready``), else None."""

    def change_head(self) -> int:
        """The number of the change feed's newest entry (0: nothing written yet). Every write
        above records one entry, in its own transaction (see :mod:`graphrec.store.feed`)."""

    def changes(self, after: int, limit: int = 1000) -> list[Change]:
        """The feed's entries numbered above ``after``, oldest first (the oldest are forgotten:
        see :data:`graphrec.store.feed.KEEP`)."""

    def settings(self) -> dict[str, str]:
        """The store's settings (such as the active model version)."""

    def put_setting(self, key: str, value: str) -> int:
        """Set one setting; returns its change's number."""

    def clear(self) -> None:
        """Delete every node and relationship (the schema stays)."""

    def close(self) -> None: ...
