"""Keeping a serving process's memory in step with the store, the one truth.

Every write to the store records a numbered entry in its change feed (:mod:`graphrec.store.feed`).
Before it answers, a process that shares its store with others (Neo4j: several workers, several
replicas) reads the feed's newest number, one small read, and applies the entries it has not
applied yet: events, items, privacy deletes, rules, the active model version. So an event
recorded through one process is in the next answer of every other. A large change (a load, a
derive, a training's write-back) and a model switch rebuild memory in a background thread
while answers go on from the old memory, which the new one then replaces in one step.

Applying an entry twice changes nothing (an event is kept once per user, item, kind and time),
so a rebuild may start from any number at or before its snapshot.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

from graphrec.errors import GraphRecError
from graphrec.models import versions
from graphrec.models.artifact import Artifact, load_artifact
from graphrec.rules import Rule
from graphrec.serving.engine import Engine
from graphrec.serving.events import Event
from graphrec.store.base import Change, GraphBatch, GraphStore
from graphrec.store.feed import FORGET, RELOAD, RULES, SETTING, WRITE, batch_of


class Followed(Protocol):
    """What the follower reads and changes of the serving process
    (:class:`graphrec.serving.service.Service`)."""

    store: GraphStore
    store_ok: bool
    applied: int
    write_lock: threading.Lock
    counters: dict[str, int]
    engine: Engine
    models_dir: Path

    @property
    def version(self) -> str: ...

    def use_store_rules(self, rules: list[Rule]) -> None: ...

    def forget_beyond_store(self, user_id: str) -> None: ...

    def reload(self, artifact: Artifact | None = None) -> Engine: ...


log = logging.getLogger(__name__)
#: The interpreter's switch interval while memory is rebuilt in the background (default 5 ms).
REBUILD_SWITCH_SECONDS = 0.0005
#: Feed entries read per round trip.
PAGE = 500
#: While the store is unreachable, how often a background thread asks whether it is back
#: (answers do not wait for it: they go on from memory, marked degraded).
PROBE_SECONDS = 1.0


def apply_batch(engine: Engine, batch: GraphBatch) -> bool:
    """Apply a small write's rows to memory; False when only a rebuild can (a category tree
    change, an item memory does not know)."""
    if batch.category_parents.num_rows:
        return False
    brand_names = dict(zip(*batch.brands.to_pydict().values(), strict=True))
    category_names = dict(zip(*batch.categories.to_pydict().values(), strict=True))
    brands = {
        item: (brand, brand_names.get(brand))
        for item, brand in zip(*batch.item_brands.to_pydict().values(), strict=True)
    }
    categories: dict[str, list[tuple[str, str | None]]] = {}
    for item, category in zip(*batch.item_categories.to_pydict().values(), strict=True):
        categories.setdefault(item, []).append((category, category_names.get(category)))
    for row in batch.items.to_pylist():
        stock = True if row["in_stock"] is None else bool(row["in_stock"])
        brand, cats = brands.get(row["id"]), categories.get(row["id"], [])
        engine.upsert_item(
            row["id"], row["title"], row["price"], stock, brand, cats, row.get("created_at")
        )
    live = engine.live
    with engine.lock:
        for user_id in batch.users.column("id").to_pylist():
            live.add_user(user_id)
        for row in batch.interactions.to_pylist():
            item = live.item_index.get(row["item_id"])
            if item is None:
                return False
            live.record(row["user_id"], Event(item, row["kind"], int(row["ts"])))
    return True


class Follower:
    """Applies the store's change feed to a serving process (only where other processes may
    write to its store: ``store.shared``). ``sync_seconds``: at most one look at the feed per
    so many seconds (0: before every answer, so a shopper reads their own writes through any
    process)."""

    def __init__(self, service: Followed, sync_seconds: float = 0.0) -> None:
        self.service = service
        self.every = sync_seconds
        self.enabled = bool(getattr(service.store, "shared", False))
        self._next = 0.0
        self._own: set[int] = set()  # entries this process made and applied as it wrote them
        self._lock = threading.Lock()  # guards the two below
        self._worker: threading.Thread | None = None
        self._wanted: list[str | None] = []  # rebuilds asked for: a model version, or None
        self._probing = False
        self._next_probe = 0.0
        #: the model version the newest rebuild asked for switches to (None: none)
        self._switching: str | None = None

    def made(self, seq: int) -> None:
        """This process wrote entry ``seq`` and applied it itself."""
        if seq:
            self._own.add(seq)

    def swapped(self) -> None:
        """A rebuilt memory replaced the old: every entry after its number is applied anew."""
        self._own.clear()

    def sync(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.every
        service = self.service
        if not service.store_ok:
            self._probe(now)
            return
        try:
            head = service.store.change_head()
        except GraphRecError:
            service.store_ok = False  # answers go on from memory, marked degraded
            return
        service.store_ok = True
        if service.applied < 0:
            self.rebuild(None, "the store answers again")
        elif head > service.applied:
            with service.write_lock:
                self._catch_up(head)

    def _catch_up(self, head: int) -> None:
        service = self.service
        while service.applied < head:
            changes = service.store.changes(after=service.applied, limit=PAGE)
            if not changes or changes[0].seq != service.applied + 1:
                self.rebuild(None, "this process fell behind the change feed")
                return
            for change in changes:
                if change.seq in self._own:
                    self._own.discard(change.seq)
                else:
                    self._apply(change)
                service.applied = change.seq
                service.counters["changes_applied"] += 1

    def _apply(self, change: Change) -> None:
        service, engine = self.service, self.service.engine
        if change.kind == WRITE:
            if not apply_batch(engine, batch_of(change.body)):
                self.rebuild(None, f"change {change.seq} needs the whole graph")
        elif change.kind == FORGET:
            user = engine.live.user(change.body["user_id"])
            if user is not None:
                with engine.lock:
                    engine.forget(user)
            service.forget_beyond_store(change.body["user_id"])
        elif change.kind == RULES:
            service.use_store_rules(service.store.rules())
        elif change.kind == SETTING:
            wanted = change.body["value"]
            if change.body["key"] == versions.ACTIVE and wanted not in (
                service.version,
                self._switching,  # this process asked for it (graphrec.serving.admin)
            ):
                self.rebuild(wanted, f"model {wanted} activated")
        elif change.kind == RELOAD:
            self.rebuild(None, change.body.get("reason", "a large write"))

    def _probe(self, now: float) -> None:
        """Ask in the background whether the store is back; the next sync catches up."""
        with self._lock:
            if self._probing or now < self._next_probe:
                return
            self._probing, self._next_probe = True, now + PROBE_SECONDS

        def probe() -> None:
            try:
                self.service.store.change_head()
                self.service.store_ok = True
            except GraphRecError:
                pass
            finally:
                with self._lock:
                    self._probing = False

        threading.Thread(target=probe, name="graphrec-store-probe", daemon=True).start()

    # -- rebuilds, in the background ----------------------------------------------------------
    def rebuild(self, version: str | None, why: str) -> None:
        """Rebuild memory (with ``version``: switch to that model) in a background thread;
        asked again while one runs, it runs once more after it."""
        log.warning("rebuilding memory from the store: %s", why)
        with self._lock:
            if version is not None:
                self._switching = version
            self._wanted.append(version)
            if self._worker is not None:
                return
            self._worker = threading.Thread(target=self._rebuilds, name="graphrec-rebuild")
            self._worker.daemon = True
            self._worker.start()

    def _rebuilds(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._worker = None
                    return
                wanted, self._wanted = self._wanted, []
            version = next((v for v in reversed(wanted) if v is not None), None)
            # the rebuild's Python work takes the interpreter lock in turns with the answers:
            # shorter turns meanwhile, so that an answer waits less for it
            interval = sys.getswitchinterval()
            sys.setswitchinterval(REBUILD_SWITCH_SECONDS)
            try:
                self._rebuild_once(version)
            except GraphRecError as e:
                log.warning("memory not rebuilt, answers go on from the old one: %s", e)
            finally:
                sys.setswitchinterval(interval)

    def _rebuild_once(self, version: str | None) -> None:
        service = self.service
        artifact = None
        if version is not None and version != service.version:
            found = versions.find(service.models_dir, version)
            artifact = load_artifact(found.path, device="cpu")
        service.reload(artifact)

    def idle(self, timeout: float = 600.0) -> bool:
        """Wait until no rebuild runs or is asked for (tests, a graceful switch); whether so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._worker is None and not self._wanted:
                    return True
            time.sleep(0.02)
        return False
