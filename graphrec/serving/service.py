"""The serving process's state: a store, a trained artifact and the engine built from both.

Reads are answered from memory. Writes go to the store first, in one transaction, and reach
memory only when the store has committed them: an answer never shows what the store lost.
When the store is unreachable, reads go on from memory with ``degraded`` set, writes fail.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson
import pyarrow as pa

from graphrec.errors import (
    ConfigError,
    GraphRecError,
    InvalidInput,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from graphrec.graph.snapshot import Snapshot, export_snapshot
from graphrec.models import servable, servable_names
from graphrec.models.artifact import Artifact, load_artifact
from graphrec.rules import Rule, parse_rule
from graphrec.serving.engine import Engine, EngineConfig, content_vector
from graphrec.serving.live import Event, LiveGraph
from graphrec.store.base import GraphBatch, GraphStore, empty_table

MAX_BATCH = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class EventInput:
    user_id: str
    item_id: str
    kind: str
    ts: int | None = None
    weight: float | None = None
    rating: float | None = None
    recommendation_id: str | None = None


@dataclass(frozen=True)
class ItemInput:
    id: str
    title: str | None = None
    price: float | None = None
    in_stock: bool | None = None  # None: as it was (a new item: in stock)
    brand_id: str | None = None
    brand_name: str | None = None
    categories: tuple[tuple[str, str | None], ...] = ()


def _read_table(store: GraphStore, name: str) -> pa.Table:
    batches = list(store.stream(name))
    return pa.Table.from_batches(batches) if batches else empty_table(name)


class Service:
    def __init__(
        self,
        store: GraphStore,
        artifact: Artifact,
        config: EngineConfig | None = None,
        kind_weights: dict[str, float] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.artifact = artifact
        self.kind_weights = kind_weights or {}
        self.started = time.time()
        self.store_ok = True
        self.write_lock = threading.Lock()
        self.log_dir = log_dir
        self._logs: dict[str, Any] = {}
        self.counters = {"events": 0, "store_errors": 0}
        model = artifact.model
        if not servable(model.name):
            raise InvalidInput(
                f"serving needs one of these models: {', '.join(servable_names())}; "
                f"{artifact.path.name} is {model.name!r}"
            )
        #: Bumped by :meth:`reload`: answers made before it are not reused after it.
        self.generation = 0
        #: Called after :meth:`reload` swapped the memory in (``graphrec serve`` freezes the
        #: new memory out of the garbage collector's way, as it does what it loads at start).
        self.after_reload: Callable[[], None] | None = None
        config = config or EngineConfig()
        #: Rules from the deployment's file; the store's are added to them at every build.
        self.file_rules = list(config.rules)
        self.engine = self._build(config, tolerate_outage=True)

    def _build(self, config: EngineConfig, tolerate_outage: bool) -> Engine:
        """Memory from a fresh snapshot of the store (or, when it is down at start, from the
        artifact's own snapshot) and the artifact's vectors."""
        try:
            snapshot = export_snapshot(self.store)
            bought_with = _read_table(self.store, "bought_with")
            similar_to = _read_table(self.store, "similar_to")
            store_rules = self.store.rules()
            self.store_ok = True
        except (StoreUnavailable, StoreError):
            self.store_ok = False
            if not tolerate_outage:
                raise
            snapshot = self.artifact.snapshot
            bought_with, similar_to = empty_table("bought_with"), empty_table("similar_to")
            store_rules = []
        config = dataclasses.replace(config, rules=[*self.file_rules, *store_rules])
        live = LiveGraph(snapshot, bought_with, similar_to, trending_days=config.trending_days)
        item_vecs, known_items, user_vecs, known_users = self._vectors(
            self.artifact, snapshot, live
        )
        engine = Engine(live, item_vecs, user_vecs, known_users, config)
        if getattr(self.artifact.model, "_network_state", None):
            engine.item_encoder = functools.partial(self._inductive_vector, engine)
            for index in np.flatnonzero(~known_items):  # in the store, not in training
                vector = self._inductive_vector(engine, int(index))
                if vector is not None:
                    engine.set_vector(int(index), vector)
        engine.precompute_candidates()
        engine.prepare_views()
        return engine

    @functools.cache  # noqa: B019 - one artifact per service, kept as long as it is
    def _trained_ids(self) -> tuple[dict[str, int], dict[str, int]]:
        """Category and brand ids of the training snapshot -> the indices the model knows."""
        trained = self.artifact.snapshot
        return (
            {c: i for i, c in enumerate(trained.categories.column("id").to_pylist())},
            {b: i for i, b in enumerate(trained.brands.column("id").to_pylist())},
        )

    def reload(self) -> Engine:
        """Rebuild memory from the store, for writes that did not go through this server
        (another loader on Neo4j). Answers go on from the old memory until the new is ready."""
        with self.write_lock:
            engine = self._build(self.engine.config, tolerate_outage=False)
            with self.engine.lock:
                self.engine = engine
                self.generation += 1
            if self.after_reload is not None:
                self.after_reload()
        return engine

    def _inductive_vector(self, engine: Engine, index: int) -> np.ndarray | None:
        """GraphSAGE's vector for a new item, from its title, categories and brand."""
        live, trained = engine.live, self.artifact.snapshot
        category_at, brand_at = self._trained_ids()
        categories = [
            category_at[live.category_ids[c]]
            for c in live.item_categories[index]
            if live.category_ids[c] in category_at
        ]
        brand = live.brand[index]
        brand_index = brand_at.get(live.brand_ids[brand], -1) if brand >= 0 else -1
        model: Any = self.artifact.model
        vectors = model.embed_new_items(trained, [live.titles[index]], [categories], [brand_index])
        return np.asarray(vectors[0], dtype=np.float32)

    @staticmethod
    def _vectors(
        artifact: Artifact, snapshot: Snapshot, live: LiveGraph
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        model: Any = artifact.model
        trained_items = np.asarray(model.item_vectors().detach().cpu().numpy(), dtype=np.float32)
        trained_users = np.asarray(model.user_vectors().detach().cpu().numpy(), dtype=np.float32)
        old = artifact.snapshot
        item_at = {item: i for i, item in enumerate(old.items.column("id").to_pylist())}
        user_at = {user: i for i, user in enumerate(old.users.column("id").to_pylist())}
        items = np.zeros((live.num_items, trained_items.shape[1]), dtype=np.float32)
        known_items = np.zeros(live.num_items, dtype=bool)
        for index, item_id in enumerate(live.item_ids):
            at = item_at.get(item_id)
            if at is not None:
                items[index], known_items[index] = trained_items[at], True
        for unknown in np.flatnonzero(~known_items):
            items[unknown] = content_vector(live, items, known_items, int(unknown))
        users = np.zeros((live.num_users, trained_users.shape[1]), dtype=np.float32)
        known_users = np.zeros(live.num_users, dtype=bool)
        for index, user_id in enumerate(live.user_ids):
            row = user_at.get(user_id) if user_id is not None else None
            if row is not None:
                users[index], known_users[index] = trained_users[row], True
        return items, known_items, users, known_users

    @classmethod
    def open(cls, store: GraphStore, artifact_path: Path, **kwargs: Any) -> Service:
        return cls(store, load_artifact(artifact_path, device="cpu"), **kwargs)

    # -- writes ------------------------------------------------------------------------------
    def _write(self, batch: GraphBatch) -> None:
        self._store_call(lambda: self.store.write(batch))

    def record(self, events: list[EventInput]) -> list[Event]:
        """Write the events in one transaction, then make the next answers see them."""
        if not events:
            raise InvalidInput("no events given")
        if len(events) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} events per call, got {len(events)}")
        live = self.engine.live
        now = int(time.time())
        rows: dict[str, list[Any]] = {name: [] for name in empty_table("interactions").schema.names}
        for number, event in enumerate(events, start=1):
            where = f"event {number}" if len(events) > 1 else "event"
            if not event.user_id or len(event.user_id) > 256:
                raise InvalidInput(f"{where}: userId must be 1..256 characters")
            if event.item_id not in live.item_index:
                raise NotFound(f"{where}: no item with id {event.item_id!r}")
            if not event.kind.isidentifier() or event.kind != event.kind.lower():
                raise InvalidInput(f"{where}: kind must be a lower-case word, got {event.kind!r}")
            if event.ts is not None and not 0 <= event.ts <= now + 86_400:
                raise InvalidInput(f"{where}: ts must be Unix seconds, not in the future")
            if event.weight is not None and not event.weight >= 0:
                raise InvalidInput(f"{where}: weight must be >= 0")
            if event.rating is not None and not 0 <= event.rating <= 10:
                raise InvalidInput(f"{where}: rating must be in 0..10")
            rows["user_id"].append(event.user_id)
            rows["item_id"].append(event.item_id)
            rows["kind"].append(event.kind)
            default = (
                0.0 if event.kind == "not_interested" else self.kind_weights.get(event.kind, 1.0)
            )
            rows["weight"].append(default if event.weight is None else event.weight)
            rows["rating"].append(event.rating)
            rows["ts"].append(now if event.ts is None else event.ts)
            rows["split"].append(None)
        users = sorted({e.user_id for e in events} - set(live.user_index))
        batch = GraphBatch(
            users=pa.table({"id": pa.array(users, pa.string())}),
            interactions=pa.table(rows, schema=empty_table("interactions").schema),
        )
        with self.write_lock:
            self._write(batch)
            applied = []
            with self.engine.lock:
                for event, ts in zip(events, rows["ts"], strict=True):
                    user = live.add_user(event.user_id)
                    applied_event = Event(live.item_index[event.item_id], event.kind, ts)
                    live.add_event(user, applied_event)
                    applied.append(applied_event)
            self.counters["events"] += len(events)
        self._log_events(events, rows["ts"])
        return applied

    def forget_user(self, user_id: str) -> bool:
        """Delete the shopper, their interactions and their embedding (privacy delete)."""
        with self.write_lock:
            existed = self._store_call(lambda: self.store.delete_user(user_id))
            with self.engine.lock:
                user = self.engine.live.user(user_id)
                if user is not None:
                    self.engine.forget(user)
        return existed or user is not None

    def upsert_item(self, item: ItemInput) -> tuple[int, bool]:
        if not item.id or len(item.id) > 256:
            raise InvalidInput("item id must be 1..256 characters")
        if item.price is not None and not item.price >= 0:
            raise InvalidInput(f"item {item.id!r}: price must be >= 0")
        if (item.brand_name is not None) and item.brand_id is None:
            raise InvalidInput(f"item {item.id!r}: a brand name needs a brand id")
        with self.write_lock:
            return self._upsert_item(item)

    def _upsert_item(self, item: ItemInput) -> tuple[int, bool]:
        """A partial update: what ``item`` leaves as None stays as the store has it."""
        known = self.store.get_item(item.id) or {}
        title = item.title if item.title is not None else known.get("title")
        price = item.price if item.price is not None else known.get("price")
        in_stock = item.in_stock if item.in_stock is not None else known.get("in_stock", True)
        created_at = known.get("created_at") or int(time.time())
        batch = GraphBatch(
            items=pa.table(
                {
                    "id": [item.id],
                    "title": pa.array([title], pa.string()),
                    "price": pa.array([price], pa.float64()),
                    "in_stock": pa.array([in_stock], pa.bool_()),
                    "created_at": pa.array([created_at], pa.int64()),
                }
            ),
            brands=pa.table(
                {
                    "id": pa.array([item.brand_id] if item.brand_id else [], pa.string()),
                    "name": pa.array([item.brand_name] if item.brand_id else [], pa.string()),
                }
            ),
            item_brands=pa.table(
                {
                    "item_id": pa.array([item.id] if item.brand_id else [], pa.string()),
                    "brand_id": pa.array([item.brand_id] if item.brand_id else [], pa.string()),
                }
            ),
            categories=pa.table(
                {
                    "id": pa.array([c for c, _ in item.categories], pa.string()),
                    "name": pa.array([n for _, n in item.categories], pa.string()),
                }
            ),
            item_categories=pa.table(
                {
                    "item_id": pa.array([item.id] * len(item.categories), pa.string()),
                    "category_id": pa.array([c for c, _ in item.categories], pa.string()),
                }
            ),
        )
        self._write(batch)
        with self.engine.lock:
            brand = (item.brand_id, item.brand_name) if item.brand_id else None
            index, new = self.engine.live.upsert_item(
                item.id, title, price, bool(in_stock), brand, list(item.categories)
            )
            self.engine.item_changed(index, new)
        return index, new

    # -- business rules ----------------------------------------------------------------------
    def rules(self) -> list[tuple[Rule, str]]:
        """Every rule in force with where it comes from: ``"config"`` or ``"store"``."""
        store_rules = self.engine.config.rules[len(self.file_rules) :]
        return [(r, "config") for r in self.file_rules] + [(r, "store") for r in store_rules]

    def put_rule(self, entry: dict[str, Any]) -> Rule:
        """Validate a rule, keep it in the store, and apply it to the next answers."""
        try:
            rule = parse_rule(entry, f"rule {entry.get('id')!r}")
        except ConfigError as e:
            raise InvalidInput(str(e)) from None
        if not rule.id:
            raise InvalidInput("a rule needs an id")
        live = self.engine.live
        kind, target = rule.target
        known = {
            "item": live.item_index,
            "brand": live.brand_index,
            "category": live.category_index,
        }
        if target not in known[kind]:
            raise NotFound(f"rule {rule.id!r}: no {kind} {target!r}")
        with self.write_lock:
            self._store_call(lambda: self.store.put_rule(rule))
            self._set_store_rules([r for r, _ in self._store_rules() if r.id != rule.id] + [rule])
        return rule

    def delete_rule(self, rule_id: str) -> bool:
        with self.write_lock:
            deleted = self._store_call(lambda: self.store.delete_rule(rule_id))
            self._set_store_rules([r for r, _ in self._store_rules() if r.id != rule_id])
        return bool(deleted)

    def _store_rules(self) -> list[tuple[Rule, str]]:
        return [pair for pair in self.rules() if pair[1] == "store"]

    def _set_store_rules(self, rules: list[Rule]) -> None:
        engine = self.engine
        ordered = sorted(rules, key=lambda r: r.id or "")  # the store's order
        with engine.lock:
            engine.config = dataclasses.replace(engine.config, rules=[*self.file_rules, *ordered])

    def _store_call(self, work: Callable[[], T]) -> T:
        try:
            outcome = work()
        except StoreUnavailable:
            self.store_ok = False
            self.counters["store_errors"] += 1
            raise
        self.store_ok = True
        return outcome

    # -- attribution log -----------------------------------------------------------------------
    def pseudonym(self, user_id: str) -> str:
        return hashlib.blake2b(user_id.encode(), digest_size=8, key=b"graphrec-log").hexdigest()

    def _append(self, name: str, rows: list[dict[str, Any]]) -> None:
        if self.log_dir is None or not rows:
            return
        out = self._logs.get(name)
        if out is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            # unbuffered: each call is one write of whole lines, so a crash loses no answer
            out = self._logs[name] = (self.log_dir / name).open("ab", buffering=0)
        out.write(b"".join(orjson.dumps(row) + b"\n" for row in rows))

    def close(self) -> None:
        for out in self._logs.values():
            out.close()
        self._logs.clear()

    def log_served(self, answer: Any) -> None:
        self.log_answer(
            answer.recommendation_id,
            answer.user_id,
            answer.strategy.value,
            answer.item_ids,
        )

    def log_answer(self, rec_id: str, user_id: str, group: str, items: Sequence[str]) -> None:
        row = {
            "rec": rec_id,
            "user": self.pseudonym(user_id),
            "group": group,
            "items": items,
            "ts": int(time.time()),
        }
        self._append("served.jsonl", [row])

    def _log_events(self, events: list[EventInput], stamps: list[int]) -> None:
        self._append(
            "events.jsonl",
            [
                {
                    "rec": e.recommendation_id,
                    "user": self.pseudonym(e.user_id),
                    "item": e.item_id,
                    "kind": e.kind,
                    "ts": ts,
                }
                for e, ts in zip(events, stamps, strict=True)
                if e.recommendation_id
            ],
        )

    # -- health ------------------------------------------------------------------------------
    def check_store(self) -> bool:
        try:
            self.store.counts()
            self.store_ok = True
        except GraphRecError:
            self.store_ok = False
        return self.store_ok
