"""Reasons written straight to JSON by one compiled loop, for the compiled GraphQL plans.

An answer's reasons are decided in compiled code (``Engine.decide``); making each as
objects and serialising them cost about 8 us a reason in Python, half of a new shopper's answer.
Here a plan's selection of a reason becomes one template per reason code
(:mod:`graphrec.serving.reason_templates`): the same sentences, paths and field order as the
objects, by construction. :func:`write_answer` fills the templates from the decision and from
per-catalogue tables of ids, names and titles already in JSON, and writes each recommendation
around them (its rank, score, and the item as the plan serialises it, see :class:`ItemRows`):
the whole list of items in one loop, with no object per item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import orjson

from graphrec.serving.events import Recent
from graphrec.serving.json_writer import (
    E_CONST,
    E_ITEM,
    E_RANK,
    E_REASONS,
    E_SCORE,
    FULL,
    STALE,
    Catalogue,
    EntryArrays,
    ItemJson,
    KindArrays,
    TableArrays,
    TemplateArrays,
    write_answer,
)
from graphrec.serving.live import LiveGraph
from graphrec.serving.reason_templates import Templates, escaped
from graphrec.serving.reasons import VERBS, Decided
from graphrec.serving.results import Item


class Views(Protocol):
    """What the writer reads of the engine: the live graph, the trending window, item views."""

    @property
    def live(self) -> LiveGraph: ...

    @property
    def trending_days(self) -> int: ...

    def item(self, index: int) -> Item: ...


class _Rows:
    """Rows of JSON text in one append-only blob: row ``r`` is ``blob[starts[r]:ends[r]]``
    (the columns of ``spans``: a row's start and end side by side, one cache line for both). A
    replaced row leaves its old text behind; ``written`` counts the bytes rows point at."""

    def _lay_out(self, rows: int, size: int) -> None:
        self._spans(np.zeros((rows, 2), dtype=np.int64))
        self.blob = np.zeros(size, dtype=np.uint8)
        self.used = 0
        self.written = 0

    def _spans(self, spans: np.ndarray) -> None:
        self.spans = spans
        self.starts, self.ends = spans[:, 0], spans[:, 1]

    def _more_rows(self, rows: int) -> None:
        if rows > len(self.spans):
            more = np.zeros((rows - len(self.spans), 2), dtype=np.int64)
            self._spans(np.concatenate([self.spans, more]))

    def _put(self, where: np.ndarray, texts: list[bytes]) -> bool:
        """Rows ``where`` (distinct) become ``texts``; False, and nothing written, when the
        blob is full and mostly replaced text: the caller lays it out afresh."""
        text = b"".join(texts)
        if self.used + len(text) > len(self.blob):
            if self.written < self.used // 2:
                return False
            blob = np.zeros(max(2 * len(self.blob), self.used + len(text)), dtype=np.uint8)
            blob[: self.used] = self.blob[: self.used]
            self.blob = blob
        self.blob[self.used : self.used + len(text)] = np.frombuffer(text, dtype=np.uint8)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = self.used + np.cumsum(lengths)
        self.written -= int((self.ends[where] - self.starts[where]).sum())
        self.starts[where] = ends - lengths
        self.ends[where] = ends
        self.used += len(text)
        self.written += len(text)
        return True


class Tables(_Rows):
    """Ids, names and titles of the catalogue and shoppers as JSON, in one append-only blob:
    row ``bases[table] + index * strides[table]`` of a table is ``blob[starts[row]:ends[row]]``
    (the columns of ``spans``). The id, name and words of one item (brand, category) are rows
    side by side: an answer reads them together.

    Kept in step with the live graph by :meth:`sync` at the cost of what changed: an item
    added or edited, a brand, category or shopper added, a shopper forgotten each append their
    rows' new text (rebuilding it all took 117-200 ms on Amazon Beauty, under the engine's
    lock, at every catalogue change). Each table has room to grow; one that outgrows it, a
    reload, or a blob of mostly replaced text is laid out afresh."""

    #: the tables, in this order (:func:`write_answer` reads them by number)
    NAMES = (
        "item id", "item name", "item words", "shopper id", "brand id", "brand name",
        "brand words", "category id", "category name", "category words",
    )  # fmt: skip

    def __init__(self, live: LiveGraph) -> None:
        self.live = live
        room = [max(16, n + n // 4) for n in self._sizes()]  # a quarter more than now
        # items (tables 0-2), shoppers (3), brands (4-6), categories (7-9): each group's
        # tables interleaved, an entity's rows side by side
        groups = ((0, 1, 2), (3,), (4, 5, 6), (7, 8, 9))
        self.bases = np.zeros(len(room), dtype=np.int64)
        self.strides = np.zeros(len(room), dtype=np.int64)
        total = 0
        for group in groups:
            for offset, table in enumerate(group):
                self.bases[table], self.strides[table] = total + offset, len(group)
            total += len(group) * room[group[0]]
        self.room = np.asarray(room, dtype=np.int64)
        self._lay_out(total, 0)
        self.sizes = [0] * len(self.NAMES)  # rows written per table
        self.version = 0  # the live graph's catalogue version the rows follow
        self.forgotten: set[int] = set()
        laid_out = self.sync()
        assert laid_out, "the first layout has room for every row"

    def _sizes(self) -> list[int]:
        live = self.live
        items, brands, categories = live.num_items, len(live.brand_ids), len(live.category_ids)
        return [items] * 3 + [len(live.user_ids)] + [brands] * 3 + [categories] * 3

    @property
    def users(self) -> int:
        return self.sizes[3]

    def stale(self) -> bool:
        """Whether :meth:`sync` has something to do (cheap enough for every answer)."""
        live = self.live
        return (
            self.version != live.catalogue_version
            or self.sizes[3] != len(live.user_ids)
            or len(self.forgotten) != len(live.forgotten)
        )

    def sync(self) -> bool:
        """Append the rows that changed; False when the tables must be laid out afresh."""
        live = self.live
        sizes = self._sizes()
        if any(n > r for n, r in zip(sizes, self.room.tolist(), strict=True)):
            return False
        rows: list[tuple[int, int, bytes]] = []  # (table, index, text)
        changed = np.flatnonzero(live.item_versions[: sizes[0]] > self.version).tolist()
        items = set(range(self.sizes[0], sizes[0])) | set(changed)
        dumps = orjson.dumps
        for i in sorted(items):
            rows += [
                (0, i, dumps(live.item_ids[i])),
                (1, i, dumps(live.titles[i])),
                (2, i, escaped(live.title(i))),
            ]
        for u in range(self.sizes[3], sizes[3]):
            rows.append((3, u, dumps(live.user_ids[u] or "")))
        for u in sorted(live.forgotten - self.forgotten):
            if u < self.sizes[3]:  # (those added now were written blank)
                rows.append((3, u, b'""'))
        for first, ids, names in (
            (4, live.brand_ids, live.brand_names),
            (7, live.category_ids, live.category_names),
        ):  # id, name, words
            for x in range(self.sizes[first], sizes[first]):
                rows += [
                    (first, x, dumps(ids[x])),
                    (first + 1, x, dumps(names[x])),
                    (first + 2, x, escaped(str(names[x]))),
                ]
        where = np.asarray(
            [self.bases[t] + i * self.strides[t] for t, i, _ in rows], dtype=np.int64
        )
        if not self._put(where, [r[2] for r in rows]):
            return False  # mostly replaced text: lay it out afresh
        self.sizes = sizes
        self.version = live.catalogue_version
        self.forgotten |= live.forgotten
        return True


#: What a step of a recommendation's template writes (see :func:`entry_template`).
#: The fields of a recommendation a template can write, and their steps.
ENTRY_FIELDS = {"rank": E_RANK, "score": E_SCORE, "item": E_ITEM, "reasons": E_REASONS}


def entry_template(entry: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """A plan's selection of a recommendation (each key and the field it names, in order;
    ``__typename`` too) as steps ``(what, start, length)`` over constant bytes: the JSON object
    orjson writes for the plan's dict display, ``{"key":value,...}``."""
    steps: list[tuple[int, int, int]] = []
    consts = bytearray()
    pending = bytearray(b"{")
    for n, (key, field) in enumerate(entry):
        pending += (b"," if n else b"") + orjson.dumps(key) + b":"
        if field == "__typename":
            pending += b'"Recommendation"'
            continue
        steps.append((E_CONST, len(consts), len(pending)))
        consts += pending
        pending = bytearray()
        steps.append((ENTRY_FIELDS[field], 0, 0))
    pending += b"}"
    steps.append((E_CONST, len(consts), len(pending)))
    consts += pending
    return np.array(steps, dtype=np.int64).reshape(-1, 3), np.frombuffer(bytes(consts), np.uint8)


class ItemRows(_Rows):
    """Each item as a plan serialises it, in JSON: every item's made at the plan's first
    answer (about 15 us an item: made one answer at a time as items first came up, they
    took 17 % of the answers' time through the first 4,000 new shoppers), made again after an
    upsert replaced it (``LiveGraph.item_versions``)."""

    def __init__(self, serialize: Callable[[Any], Any] | None) -> None:
        self.serialize = serialize
        self.engine: Views | None = None
        self._reset(0)

    def _reset(self, n: int) -> None:
        self.versions = np.full(n, -1, dtype=np.int64)  # the item's version its row was made at
        self._lay_out(n, 1 << 16)

    def rows(self, engine: Views) -> None:
        """Make every item's row whose row is missing or stale."""
        versions = engine.live.item_versions
        if self.engine is not engine:  # a reload: a new engine, new items
            self.engine = engine
            self._reset(len(versions))
        if len(versions) > len(self.versions):
            more = np.full(len(versions) - len(self.versions), -1, dtype=np.int64)
            self.versions = np.concatenate([self.versions, more])
            self._more_rows(len(versions))
        stale = np.flatnonzero(self.versions != versions)
        if len(stale) == 0:
            return
        serialize = self.serialize
        assert serialize is not None
        texts = [orjson.dumps(serialize(engine.item(i))) for i in stale.tolist()]
        if not self._put(stale, texts):  # mostly replaced text: start afresh
            self._reset(len(versions))
            self.rows(engine)
            return
        self.versions[stale] = versions[stale]


class ReasonWriter:
    """A plan's writer of the ``items`` of ``recommendations``: its reason templates, the
    template of a recommendation, the items' JSON, and the tables of the catalogue they read."""

    def __init__(
        self,
        serialize: Callable[[Any], Any],
        entry: list[tuple[str, str]],
        serialize_item: Callable[[Any], Any] | None,
    ) -> None:
        """``serialize``: the plan's serialiser of a reason; ``entry``: its selection of a
        recommendation (keys and fields, see :func:`entry_template`); ``serialize_item``: of
        an item, when the selection has one."""
        self.serialize = serialize
        self.entry_steps, self.entry_consts = entry_template(entry)
        self.item_rows = ItemRows(serialize_item)
        self.templates: Templates | None = None
        self.tables: Tables | None = None
        self.out = np.empty(1 << 16, dtype=np.uint8)
        #: each event kind's code, and per code its verb (escaped) then its name (JSON)
        self.kinds: dict[str, int] = {}
        self.kind_blob = np.zeros(0, dtype=np.uint8)
        self.kind_offsets = np.zeros(1, dtype=np.int64)
        #: the code in this table of each kind of ``_names`` (the live graph's kinds)
        self._names: list[str] | None = None
        self._code_of = np.zeros(0, dtype=np.int64)
        #: an engine about to replace the current one, with its tables and item rows
        self.next: tuple[Views, Tables, ItemRows] | None = None

    def prepare(self, engine: Views) -> None:
        """Make the tables and items' JSON for an engine about to replace the current one,
        in the thread that built it: its first answers then find them made (making them took
        0.1-0.2 s of the first answer on Amazon Beauty, while others waited)."""
        rows = ItemRows(self.item_rows.serialize)
        if rows.serialize is not None:
            rows.rows(engine)
        self.next = (engine, Tables(engine.live), rows)

    def _kind(self, kind: str) -> int:
        """A new event kind's code, its verb and name added to the kinds' table."""
        code = self.kinds[kind] = len(self.kinds)
        texts = [escaped(VERBS.get(kind, "chose")), orjson.dumps(kind)]
        self.kind_blob = np.concatenate([self.kind_blob, np.frombuffer(b"".join(texts), np.uint8)])
        ends = self.kind_offsets[-1] + np.cumsum([len(t) for t in texts])
        self.kind_offsets = np.concatenate([self.kind_offsets, ends])
        return code

    def _codes(self, recent: Recent) -> np.ndarray:
        """The code of each recent event's kind in the kinds' table."""
        names = recent.names
        if not len(recent):
            return recent.kinds
        if names is not self._names or len(self._code_of) != len(names):
            kinds = self.kinds
            codes = [kinds[n] if n in kinds else self._kind(n) for n in names]
            self._names, self._code_of = names, np.array(codes, dtype=np.int64)
        return self._code_of[recent.kinds]

    def write(
        self,
        engine: Views,
        asker: str,
        recent: Recent,
        items: list[int],
        scores: list[float],
        decided: Decided,
    ) -> orjson.Fragment | None:
        """The list of recommendations (``items``, ranked from 1, with their ``scores``) with
        their reasons, as JSON; None where the loop cannot say it (a count that is not whole):
        the caller then makes the objects."""
        live = engine.live
        ready = self.next
        if ready is not None and ready[0] is engine:  # prepared before the swap
            self.next = None
            self.tables, self.item_rows = ready[1], ready[2]
        days = engine.trending_days
        if self.templates is None or self.templates.days != days:
            self.templates = Templates(self.serialize, days)
        tables = self.tables
        if tables is None or tables.live is not live or (tables.stale() and not tables.sync()):
            tables = self.tables = Tables(live)
        wanted = np.asarray(items, dtype=np.int64)
        rows = self.item_rows
        if rows.serialize is not None and rows.engine is not engine:
            rows.rows(engine)
        codes = self._codes(recent)
        # the numbers as orjson writes them (the loop finds each between commas): the
        # evidence's values, and the scores
        dumps, numpy = orjson.dumps, orjson.OPT_SERIALIZE_NUMPY
        numbers = np.frombuffer(dumps(decided.value, option=numpy), np.uint8)
        score_text = np.frombuffer(dumps(scores), np.uint8)
        t = self.templates
        catalogue = Catalogue(*live.item_attributes(), live.activity.recent, live.activity.shoppers)
        templates = TemplateArrays(t.steps, t.starts, t.consts)
        names = TableArrays(tables.blob, tables.spans, tables.bases, tables.strides, tables.users)
        kinds = KindArrays(codes, self.kind_blob, self.kind_offsets)
        entry = EntryArrays(self.entry_steps, self.entry_consts)
        asker_json = np.frombuffer(orjson.dumps(asker), dtype=np.uint8)
        while True:
            item_json = ItemJson(rows.blob, rows.spans, rows.versions, live.item_versions)
            end = write_answer(
                decided, numbers, wanted, score_text, asker_json, catalogue, templates, names,
                kinds, entry, item_json, self.out,
            )  # fmt: skip
            if end == STALE:  # an item's JSON not made yet, or made before its last upsert
                rows.rows(engine)
            elif end == FULL:
                self.out = np.empty(len(self.out) * 2, dtype=np.uint8)
            else:
                break
        if end < 0:
            return None
        return orjson.Fragment(self.out[:end].tobytes())
