"""The serving process's state: a store, a trained artifact and the engine built from both.

Reads are answered from memory. Writes go to the store first, in one transaction, and reach
memory only when the store has committed them: an answer never shows what the store lost.
When the store is unreachable, reads go on from memory with ``degraded`` set, writes fail.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from graphrec.errors import (
    ConfigError,
    GraphRecError,
    InvalidInput,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import NEGATIVE_KINDS
from graphrec.models.artifact import Artifact, load_artifact
from graphrec.privacy import forget_in_models, forget_in_store
from graphrec.rules import Rule, parse_rule
from graphrec.serving.activity_refresh import ActivityRefresher
from graphrec.serving.attribution import AttributionLog
from graphrec.serving.compiled import Csr
from graphrec.serving.engine import Engine
from graphrec.serving.event_writes import EventInput, EventRows, event_rows, group_batch
from graphrec.serving.events import Event
from graphrec.serving.follow import Follower
from graphrec.serving.group_commit import GroupCommit
from graphrec.serving.item_writes import ItemInput, item_batch
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig
from graphrec.serving.shared_arrays import SharedArrays, fingerprint
from graphrec.serving.vectors import (
    TitleSentences,
    arrays_key,
    check_servable,
    data_key,
    inductive_encoder,
    model_arrays,
)
from graphrec.store.base import GraphBatch, GraphStore, empty_table

T = TypeVar("T")

log = logging.getLogger(__name__)


#: Bumped when the live graph changes what it shares (old cache entries then go unused).
EVIDENCE_FORMAT = 1


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
        log_secret: str = "",
        models_dir: Path | None = None,
        sync_seconds: float = 0.0,
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir``: where serving processes on one machine share what they derive from
        a model version and the data (:mod:`.shared_arrays`); None: nothing shared."""
        self.store = store
        self.artifact = artifact
        self.shared = SharedArrays(cache_dir)
        #: for new items placed by what their titles mean (GRAPHREC_NEW_ITEM_TEXT)
        self.title_sentences = TitleSentences(self.shared)
        self.kind_weights = kind_weights or {}
        self.started = time.time()
        self.store_ok = True
        self.write_lock = threading.Lock()
        #: concurrent event writes share transactions (:mod:`.group_commit`)
        self.commits: GroupCommit[EventRows, list[Event]] = GroupCommit(
            self._commit_events, size=lambda rows: len(rows.events), name="event-commits"
        )
        #: every answer and every attributed event, for lift reports
        self.log = AttributionLog(log_dir, log_secret)
        self.counters = {
            "events": 0,
            "store_errors": 0,
            "changes_applied": 0,
            "rebuilds": 0,
            "activity_refreshes": 0,
        }
        check_servable(artifact)
        #: Where the versions that ``graphrec models activate`` names are.
        self.models_dir = models_dir or artifact.path.parent
        #: Bumped whenever the engine is replaced: answers made before are not reused after.
        self.generation = 0
        #: Called after the engine was replaced (``graphrec serve`` freezes the new memory out
        #: of the garbage collector's way, as it does what it loads at start).
        self.after_reload: list[Callable[[], None]] = []
        #: Called with a rebuilt engine before it replaces the old one, in the thread that built
        #: it (the API prepares what its answers will need).
        self.before_swap: list[Callable[[Engine], None]] = []
        config = config or EngineConfig()
        #: Rules from the deployment's file; the store's are added to them at every build.
        self.file_rules = list(config.rules)
        #: The change feed's entries up to this number are in memory (-1: unknown, as when
        #: the store was down at start; memory is rebuilt once it answers).
        self.applied = -1
        self.engine, self.applied = self._build(artifact, config, tolerate_outage=True)
        self.follower = Follower(self, sync_seconds)
        self.activity = ActivityRefresher(self)

    @property
    def version(self) -> str:
        """The model version serving answers: its artifact folder's name."""
        return self.artifact.path.name

    def _build(
        self, artifact: Artifact, config: EngineConfig, tolerate_outage: bool
    ) -> tuple[Engine, int]:
        """Memory from a fresh snapshot of the store (or, when it is down at start, from the
        artifact's own snapshot) and the artifact's vectors; and the change feed's number
        that the snapshot holds at least (read before it)."""
        try:
            head = self.store.change_head()
            snapshot = export_snapshot(self.store)
            bought_with = _read_table(self.store, "bought_with")
            similar_to = _read_table(self.store, "similar_to")
            store_rules = self.store.rules()
            self.store_ok = True
        except (StoreUnavailable, StoreError):
            self.store_ok = False
            if not tolerate_outage:
                raise
            head = -1
            snapshot = artifact.snapshot
            bought_with, similar_to = empty_table("bought_with"), empty_table("similar_to")
            store_rules = []
        config = dataclasses.replace(config, rules=[*self.file_rules, *store_rules])
        data = data_key(snapshot)  # hashed once, for both caches
        evidence_key = fingerprint(
            ["co-interaction evidence", EVIDENCE_FORMAT, data], [bought_with, similar_to]
        )
        live = LiveGraph(
            snapshot,
            bought_with,
            similar_to,
            activity=config.activity,
            shared=lambda make: self.shared.get(evidence_key, make),
        )
        sentences = None
        if config.new_item_text != "words":
            sentences = self.title_sentences.in_live_order(artifact, live)
        arrays = self.shared.get(
            arrays_key(artifact, data, config),
            lambda: model_arrays(artifact, snapshot, live, config, sentences),
        )
        neighbours = None
        if "neighbours_indptr" in arrays:
            neighbours = Csr(
                arrays["neighbours_indptr"], arrays["neighbours_indices"], arrays["neighbours_data"]
            )
        engine = Engine(
            live,
            arrays["items"],
            arrays["users"],
            arrays["known_users"],
            config,
            arrays["unit"],
            neighbours=neighbours,
            half_life=float(arrays["half_life"][0]) if neighbours is not None else 0.0,
            known_items=arrays.get("known_items"),
        )
        engine.version = artifact.path.name
        engine.item_encoder = inductive_encoder(artifact, engine)  # for items that arrive
        if "ranked" in arrays:
            engine.stored.adopt(arrays, engine.candidate_stamp())
        engine.new_items.sentences = sentences
        if "new_items" in arrays:
            engine.new_items.adopt(arrays)
        engine.prepare_views()
        return engine, head

    def reload(self, artifact: Artifact | None = None) -> Engine:
        """Rebuild memory from the store (with ``artifact``: and switch to that model).
        Answers go on from the old memory until the new is ready, which then replaces it in
        one step; the change feed's later entries are applied to it by the next :meth:`sync`."""
        artifact = artifact or self.artifact
        check_servable(artifact)
        engine, head = self._build(artifact, self.engine.config, tolerate_outage=False)
        for prepare in self.before_swap:
            try:
                prepare(engine)
            except Exception:  # noqa: BLE001 - the answers then make it themselves
                log.exception("preparing the rebuilt memory failed; the swap goes on")
        with self.write_lock:
            with self.engine.lock:
                # rules written meanwhile are in the feed after ``head``: the next sync
                engine.config = dataclasses.replace(self.engine.config, rules=engine.config.rules)
                self.engine, self.artifact, self.applied = engine, artifact, head
                self.generation += 1
                self.counters["rebuilds"] += 1
            self.follower.swapped()
        for done in self.after_reload:
            done()
        return engine

    def sync(self) -> None:
        """Apply what other processes wrote to the store (see :class:`Follower`)."""
        self.follower.sync()
        self.activity.due()

    @classmethod
    def open(cls, store: GraphStore, artifact_path: Path, **kwargs: Any) -> Service:
        return cls(store, load_artifact(artifact_path, device="cpu"), **kwargs)

    # -- writes ------------------------------------------------------------------------------
    def _write(self, batch: GraphBatch) -> None:
        summary = self._store_call(lambda: self.store.write(batch))
        self.follower.made(summary.change)

    def submit(self, events: list[EventInput]) -> Future[list[Event]]:
        """Check the events (a bad one raises here, and nothing is written), then queue them
        for the next group commit: the future's result is the events as memory took them,
        set once the store has committed them and the next answers see them."""
        live = self.engine.live
        rows = event_rows(events, live.item_index, live.user_index, self.kind_weights)
        return self.commits.submit(rows)

    def record(self, events: list[EventInput]) -> list[Event]:
        """Write the events in one transaction, then make the next answers see them."""
        return self.submit(events).result()

    def _commit_events(self, groups: list[EventRows]) -> list[list[Event]]:
        """The group commit's writer: every queued call's events in one transaction."""
        with self.write_lock:
            self._write(group_batch(groups))
            applied: list[list[Event]] = []
            live = self.engine.live
            with self.engine.lock:
                for rows in groups:
                    applied.append([])
                    for given, ts in zip(rows.events, rows.times, strict=True):
                        event = Event(live.item_index[given.item_id], given.kind, ts)
                        live.record(given.user_id, event)
                        applied[-1].append(event)
                        if given.recommendation_id and given.kind not in NEGATIVE_KINDS:
                            self.engine.bandit.outcome(given.recommendation_id, event.item)
            self.counters["events"] += sum(len(rows.events) for rows in groups)
        for rows in groups:
            self.log.events(rows.events, rows.times)
        return applied

    def forget_user(self, user_id: str) -> bool:
        """Delete the shopper, their interactions and their embedding (privacy delete)."""
        with self.write_lock:
            existed, derived = self._store_call(lambda: forget_in_store(self.store, user_id))
            with self.engine.lock:
                user = self.engine.live.user(user_id)
                if user is not None:
                    self.engine.forget(user)
        # the model versions first: the rebuild then reads the served one without the shopper,
        # and the two do not read saved arrays at the same time (on Python 3.11, two threads
        # parsing array headers at once once failed with "AST constructor recursion depth
        # mismatch", a CPython bug)
        self.forget_beyond_store(user_id)
        if derived:  # the BOUGHT_WITH weights they counted in: made again without them
            self.follower.rebuild(None, "BOUGHT_WITH derived again after a privacy delete")
        return existed or user is not None

    def forget_beyond_store(self, user_id: str) -> None:
        """A privacy delete in what this process keeps besides the store and memory: the
        attribution log's rows and every model version (:mod:`graphrec.privacy`)."""
        self.log.forget(user_id)
        changed = forget_in_models(self.models_dir, user_id)
        if self.artifact.path.name in changed:  # the version served: its loaded copy too
            self.artifact.forget_loaded()

    def upsert_item(self, item: ItemInput) -> tuple[int, bool]:
        if not item.id or len(item.id) > 256:
            raise InvalidInput("item id must be 1..256 characters")
        if item.price is not None and not item.price >= 0:
            raise InvalidInput(f"item {item.id!r}: price must be >= 0")
        if (item.brand_name is not None) and item.brand_id is None:
            raise InvalidInput(f"item {item.id!r}: a brand name needs a brand id")
        given = {c for c, _ in item.categories}
        for child, parent in item.category_parents:
            if parent not in given and parent not in self.engine.live.category_index:
                raise InvalidInput(
                    f"item {item.id!r}: category {child!r} names a parent {parent!r} that the "
                    "shop does not have (give it first in the same list)"
                )
        with self.write_lock:
            return self._upsert_item(item)

    def _upsert_item(self, item: ItemInput) -> tuple[int, bool]:
        """A partial update: what ``item`` leaves as None stays as the store has it."""
        known = self.store.get_item(item.id) or {}
        title = item.title if item.title is not None else known.get("title")
        price = item.price if item.price is not None else known.get("price")
        in_stock = item.in_stock if item.in_stock is not None else known.get("in_stock", True)
        created_at = known.get("created_at") or int(time.time())
        batch = item_batch(item, title, price, in_stock, created_at)
        self._write(batch)
        brand = (item.brand_id, item.brand_name) if item.brand_id else None
        answer = self.engine.upsert_item(
            item.id, title, price, bool(in_stock), brand, list(item.categories), created_at
        )
        live = self.engine.live
        with self.engine.lock:
            for child, parent in item.category_parents:  # the store took them: both known
                if child in live.category_index and parent in live.category_index:
                    live.category_parent[live.category_index[child]] = live.category_index[parent]
            if item.category_parents:
                live.changed()
        return answer

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
            self.use_store_rules([r for r, _ in self._store_rules() if r.id != rule.id] + [rule])
        return rule

    def delete_rule(self, rule_id: str) -> bool:
        with self.write_lock:
            deleted = self._store_call(lambda: self.store.delete_rule(rule_id))
            self.use_store_rules([r for r, _ in self._store_rules() if r.id != rule_id])
        return bool(deleted)

    def _store_rules(self) -> list[tuple[Rule, str]]:
        return [pair for pair in self.rules() if pair[1] == "store"]

    def use_store_rules(self, rules: list[Rule]) -> None:
        """Answer by these rules from the store (and the deployment file's)."""
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

    def close(self) -> None:
        """Finish what runs in the background (queued events, a rebuild): the store may be
        closed after this."""
        self.commits.close()
        self.follower.idle(timeout=120)
        self.log.close()

    # -- health ------------------------------------------------------------------------------
    def check_store(self) -> str | None:
        """Ask the store now: None when it answered, else what is wrong (for ``/ready``)."""
        try:
            problem = self.store.problem()
        except GraphRecError as e:
            problem = str(e).split("\n")[0]
        self.store_ok = problem is None
        return problem
