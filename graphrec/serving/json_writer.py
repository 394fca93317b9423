"""One compiled loop that writes a ``recommendations`` answer's items, with their reasons, as
JSON (see :mod:`graphrec.serving.render`, which prepares what it reads).

Its inputs are named structures of arrays (numba compiles a NamedTuple of arrays as a struct
whose fields it reads by name): the decision (:class:`graphrec.serving.reasons.Decided`) and
those below.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, uintp

from graphrec.serving.compiled import compiled
from graphrec.serving.reason_kernels import SOURCE_ROW
from graphrec.serving.reasons import BECAUSE, TRENDING

#: A recommendation's template (:func:`graphrec.serving.render.entry_template`): its steps.
E_CONST, E_RANK, E_SCORE, E_ITEM, E_REASONS = 0, 1, 2, 3, 4


class Catalogue(NamedTuple):
    """Per item: its brand (-1: none), categories (CSR), trend and shoppers."""

    brand: np.ndarray
    category_indptr: np.ndarray
    category_indices: np.ndarray
    trend: np.ndarray
    shoppers: np.ndarray


class TemplateArrays(NamedTuple):
    """The reason templates: per code, the steps ``steps[starts[code]:starts[code + 1]]``
    (kind, entity, field, start, length) and their constant bytes."""

    steps: np.ndarray
    starts: np.ndarray
    consts: np.ndarray


class TableArrays(NamedTuple):
    """The tables of ids, names and words in JSON (``render.Tables``): row ``bases[table] +
    index * strides[table]`` of table ``table`` spans ``blob[spans[row, 0]:spans[row, 1]]``;
    ``users``: how many shoppers they hold."""

    blob: np.ndarray
    spans: np.ndarray
    bases: np.ndarray
    strides: np.ndarray
    users: int


class KindArrays(NamedTuple):
    """Each recent event's kind as a code, and per code its verb (escaped) then its name (JSON)
    in ``blob``, between ``offsets``."""

    codes: np.ndarray
    blob: np.ndarray
    offsets: np.ndarray


class EntryArrays(NamedTuple):
    """A recommendation's template: steps (what, start, length) and constant bytes."""

    steps: np.ndarray
    consts: np.ndarray


class ItemJson(NamedTuple):
    """Each item's JSON (``render.ItemRows``): its span in ``blob``, the item version it was
    made at (``made``) and the live graph's ``versions`` to compare with."""

    blob: np.ndarray
    spans: np.ndarray
    made: np.ndarray
    versions: np.ndarray


@njit(nogil=True, inline="always")
def _copy(out: np.ndarray, at: int, source: np.ndarray, start: int, end: int) -> int:
    n = end - start
    if at + n > len(out):
        return -1
    # a loop over unsigned places: numba then checks no index for a negative value (a branch
    # per byte), and it vectorises; 4-8x faster than signed (1.3 ns a byte), and than a slice
    # assignment for these few bytes
    to, origin = uintp(at), uintp(start)
    for i in range(uintp(n)):
        out[to + i] = source[origin + i]
    return at + n


@njit(nogil=True, inline="always")
def _whole(out: np.ndarray, at: int, value: float, point: bool) -> int:
    """``value`` (a whole number, 0 <= value < 1e15) in digits, with ``.0`` when ``point``."""
    if at + 20 > len(out):
        return -1
    n = int(value)
    count, rest = 1, n // 10
    while rest:
        count, rest = count + 1, rest // 10
    for i in range(count - 1, -1, -1):  # the digits, last first
        out[at + i] = 48 + n % 10
        n //= 10
    at += count
    if point:
        out[at] = 46  # .
        out[at + 1] = 48  # 0
        at += 2
    return at


_SHOPPER = np.frombuffer(b" shopper", dtype=np.uint8).copy()
_NULL = np.frombuffer(b"null", dtype=np.uint8).copy()


#: What :func:`write_answer` returns when ``out`` is too small, when the tables cannot say
#: the answer, and when an item's JSON is missing or stale (see :class:`ItemRows`).
FULL, FAILED, STALE = -1, -2, -3


@njit(nogil=True, inline="always")
def _spans(numbers: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of the ``size`` values of an array orjson wrote (``numbers``, as
    ``[[a,b],[c,d]]`` or ``[a,b]``) starts and ends: a value follows a "[" or "," that no "["
    or "]" follows, and ends at the next "," or "]"."""
    starts_at = np.empty(size, dtype=np.int64)
    ends_at = np.empty(size, dtype=np.int64)
    n = 0
    for i in range(len(numbers)):
        mark = numbers[i]
        if (mark == 44 or mark == 93) and n > 0 and ends_at[n - 1] < 0:  # , ]
            ends_at[n - 1] = i
        if (mark == 91 or mark == 44) and i + 1 < len(numbers):  # [ ,
            after = numbers[i + 1]
            if after != 91 and after != 93:
                starts_at[n] = i + 1
                ends_at[n] = -1
                n += 1
    return starts_at, ends_at


@njit(nogil=True, inline="always")
def _byte(out: np.ndarray, at: int, value: int) -> int:
    if at < 0 or at + 1 > len(out):
        return FULL
    out[at] = value
    return at + 1


@njit(nogil=True, cache=True)
def _reasons(
    out, at, j, item, decided, numbers, starts_at, ends_at, asker, catalogue, templates, tables,
    kinds,
):  # type: ignore[no-untyped-def]  # fmt: skip
    """Item ``j``'s reasons list, written into ``out`` at ``at``: the new end, or FULL, FAILED."""
    shopper = _SHOPPER
    null = _NULL
    chosen, sources, position = decided.chosen, decided.sources, decided.position
    value, category, other, together = (
        decided.value, decided.category, decided.other, decided.together
    )  # fmt: skip
    brand, trend, shoppers = catalogue.brand, catalogue.trend, catalogue.shoppers
    category_indptr, category_indices = catalogue.category_indptr, catalogue.category_indices
    steps, starts, consts = templates.steps, templates.starts, templates.consts
    blob, spans, bases, strides = tables.blob, tables.spans, tables.bases, tables.strides
    users = tables.users
    codes, kind_blob, kind_offsets = kinds.codes, kinds.blob, kinds.offsets
    columns = value.shape[1]
    at = _byte(out, at, 91)  # [
    for slot in range(chosen.shape[1]):
        code = chosen[j, slot]
        if code < 0:
            break
        if slot > 0:
            at = _byte(out, at, 44)  # ,
        if at < 0:
            return FULL
        source = -1
        source_at = -1
        number = 0.0
        text = -1
        if code == BECAUSE:
            source_at = position[position.shape[0] - 1, j]
            source = sources[source_at]
        elif code < 5:
            row = SOURCE_ROW[code]
            source_at = position[row, j]
            source = sources[source_at]
            if code == 0 or code == 2:
                number = value[row, j]
                text = row * columns + j
            elif code == 1:
                number = float(together[j])
        elif code == TRENDING:
            number = trend[item]
        elif code < 8:
            number = shoppers[item]
        whole = number == np.floor(number) and 0 <= number < 1e15
        if text < 0 and not whole:
            return FAILED
        for s in range(starts[code], starts[code + 1]):
            kind, entity, field, start, length = (
                steps[s, 0],
                steps[s, 1],
                steps[s, 2],
                steps[s, 3],
                steps[s, 4],
            )
            if kind == 0:
                at = _copy(out, at, consts, start, start + length)
            elif kind == 2:
                if text >= 0:
                    at = _copy(out, at, numbers, starts_at[text], ends_at[text])
                else:
                    at = _whole(out, at, number, True)
            elif kind == 3:
                if not whole:
                    return FAILED
                at = _whole(out, at, number, False)
                if at >= 0:
                    at = _copy(out, at, shopper, 0, len(shopper))
                    if at >= 0 and int(number) != 1:
                        at = _byte(out, at, 115)  # s
            elif entity == 0:  # the asker: id, or name (null)
                if field == 0:
                    at = _copy(out, at, asker, 0, len(asker))
                else:
                    at = _copy(out, at, null, 0, len(null))
            elif (entity == 1 or entity == 2) and (field == 3 or field == 4):
                # the recent event's verb, kind
                row = 2 * codes[source_at] + (field == 4)
                at = _copy(out, at, kind_blob, kind_offsets[row], kind_offsets[row + 1])
            elif entity == 3 and field != 0:  # the other shopper's name
                at = _copy(out, at, null, 0, len(null))
            else:
                # a value from the tables: which row of which table
                table = 0
                index = 0
                if entity == 1 or entity == 2:
                    index = source if entity == 1 else item
                    table = field  # ITEM_ID, ITEM_NAME, ITEM_WORDS
                elif entity == 3:
                    index = other[j]
                    if index < 0 or index >= users:
                        return FAILED
                    table = 3
                elif entity == 4:
                    index = brand[item]
                    table = 4 + (field if field < 2 else 2)
                else:
                    index = (
                        category[j] if code != TRENDING else category_indices[category_indptr[item]]
                    )
                    table = 7 + (field if field < 2 else 2)
                row = bases[table] + index * strides[table]
                at = _copy(out, at, blob, spans[row, 0], spans[row, 1])
            if at < 0:
                return FULL
    return _byte(out, at, 93)  # ]


@compiled
def write_answer(
    decided, numbers, items, scores, asker, catalogue, templates, tables, kinds, entry,
    item_json, out,
):  # type: ignore[no-untyped-def]  # fmt: skip
    """The list of recommendations, written into ``out``: its length, or FULL when ``out`` is
    too small, FAILED when the tables cannot say an answer, STALE when an item's JSON is
    missing or older than the item.

    In: the decision (:class:`.reasons.Decided`; ``numbers``: its ``value`` as orjson writes
    it), the items and their scores (as orjson writes them), the asker's id in JSON, and the
    named structures above: the catalogue's arrays, the reason templates, the tables of names,
    the recent events' kinds, a recommendation's template and the items' JSON."""
    entry_steps, entry_consts = entry.steps, entry.consts
    item_blob, item_spans = item_json.blob, item_json.spans
    item_made, item_versions = item_json.made, item_json.versions
    writes_items = False
    for step in range(len(entry_steps)):
        writes_items |= entry_steps[step, 0] == E_ITEM
    for j in range(len(items) if writes_items else 0):
        item = items[j]
        if item >= len(item_made) or item_made[item] != item_versions[item]:
            return STALE
    starts_at, ends_at = _spans(numbers, decided.value.size)
    score_starts, score_ends = _spans(scores, len(items))
    at = _byte(out, 0, 91)  # [
    for j in range(len(items)):
        item = items[j]
        if j > 0:
            at = _byte(out, at, 44)  # ,
        for step in range(len(entry_steps)):
            what, start, length = entry_steps[step, 0], entry_steps[step, 1], entry_steps[step, 2]
            if at < 0:
                return FULL
            if what == E_CONST:
                at = _copy(out, at, entry_consts, start, start + length)
            elif what == E_RANK:
                at = _whole(out, at, j + 1, False)
            elif what == E_SCORE:
                at = _copy(out, at, scores, score_starts[j], score_ends[j])
            elif what == E_ITEM:
                at = _copy(out, at, item_blob, item_spans[item, 0], item_spans[item, 1])
            else:
                at = _reasons(
                    out, at, j, item, decided, numbers, starts_at, ends_at, asker, catalogue,
                    templates, tables, kinds,
                )  # fmt: skip
                if at == FAILED:
                    return FAILED
    at = _byte(out, at, 93)  # ]
    return at if at >= 0 else FULL
