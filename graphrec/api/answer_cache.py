"""Answers kept for reuse, their bodies in one ring of bytes (see :class:`AnswerRing`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

#: What is kept of an answer besides its body: when, its recommendation id, shopper, group
#: and impression (:func:`graphrec.serving.attribution.impression`). Only atomic values, in
#: plain tuples: the garbage collector stops tracking such an entry at its first pass (not a
#: NamedTuple's); 100,000 tracked entries made each full collection a long pause.
Kept = tuple[float, str, str, str, bytes]
#: ... and where its body starts in the ring, and its size.
Entry = tuple[float, str, str, str, bytes, int, int]


class AnswerRing:
    """Answers kept for reuse: their bodies in one ring of bytes, the rest in an ordered dict,
    oldest first.

    A body is written after the newest, wrapping around the ring's end; the oldest answers
    give way when there is no room, are past their time, or are too many. The ring is made
    once, at its full size, and its pages touched by :meth:`reserve` (``graphrec serve`` does
    at start): bodies kept as bytes objects took fresh memory from the system as the cache
    filled, 11 page faults per answer at 5 us each in this VM, a tenth of an answer's time.
    """

    def __init__(self) -> None:
        self.ring = np.empty(0, dtype=np.uint8)
        #: oldest first; an OrderedDict, whose oldest entry is found at once (a dict's first
        #: live entry, after many removed from its front, is found by walking past them)
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.head = 0  # where the next body goes
        self.bytes = 0  # of the bodies kept

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.entries)

    def items(self) -> Iterable[tuple[tuple[Any, ...], Entry]]:
        return self.entries.items()

    def reserve(self, size: int, touch: bool = True) -> None:
        """Make the ring ``size`` bytes (dropping what it kept), its pages touched now or, with
        ``touch=False``, as bodies are first written there."""
        self.ring = np.empty(size, dtype=np.uint8)
        if touch:
            self.ring.fill(0)
        self.entries.clear()
        self.head = self.bytes = 0

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        return self.entries.get(key)

    def body(self, entry: Entry) -> bytes:
        start, end = entry[5], entry[5] + entry[6]
        if end <= len(self.ring):
            return self.ring[start:end].tobytes()
        return self.ring[start:].tobytes() + self.ring[: end - len(self.ring)].tobytes()

    def drop(self, key: tuple[Any, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[6]

    def _span(self, start: int) -> int:
        """Bytes from the oldest body's ``start`` to the head (holes left by drops included)."""
        return (self.head - start) % len(self.ring) or len(self.ring)

    def put(
        self,
        key: tuple[Any, ...],
        body: bytes,
        kept: Kept,
        ttl: float,
        max_count: int,
        max_bytes: int,
    ) -> None:
        if len(self.ring) != max_bytes:  # not reserved, or the limit changed
            self.reserve(max_bytes, touch=False)
        self.drop(key)
        size = len(body)
        if size > len(self.ring):
            return
        while self.entries:  # the oldest give way
            oldest, entry = next(iter(self.entries.items()))
            if (
                kept[0] - entry[0] <= ttl
                and len(self.entries) < max_count
                and self._span(entry[5]) + size <= len(self.ring)
            ):
                break
            self.drop(oldest)
        if not self.entries:
            self.head = 0
        start, ring = self.head, self.ring
        data = np.frombuffer(body, dtype=np.uint8)
        first = min(size, len(ring) - start)
        ring[start : start + first] = data[:first]
        ring[: size - first] = data[first:]
        self.head = (start + size) % len(ring)
        self.entries[key] = (*kept, start, size)
        self.bytes += size
