"""A shopper's events as serving holds them: one event, and the newest distinct ones as arrays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np


class Event(NamedTuple):
    """One interaction of a shopper, in memory (a tuple: answers build dozens of them)."""

    item: int
    kind: str
    ts: int


class Recent:
    """A shopper's newest distinct events, newest first, as arrays: ``items`` (int64),
    ``kinds`` (int64 codes into ``names``) and ``times``. An answer reads the arrays; the
    objects (:class:`Event`) are made only by iterating (the general path's reasons)."""

    __slots__ = ("items", "kinds", "times", "names")

    def __init__(
        self, items: np.ndarray, kinds: np.ndarray, times: np.ndarray, names: list[str]
    ) -> None:
        self.items, self.kinds, self.times, self.names = items, kinds, times, names

    @classmethod
    def of(cls, events: Sequence[Event]) -> Recent:
        names = sorted({e.kind for e in events})
        return cls(
            np.array([e.item for e in events], dtype=np.int64),
            np.array([names.index(e.kind) for e in events], dtype=np.int64),
            np.array([e.ts for e in events], dtype=np.int64),
            names,
        )

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Event]:
        names = self.names
        return map(
            Event,
            self.items.tolist(),
            map(names.__getitem__, self.kinds.tolist()),
            self.times.tolist(),
        )


#: No events.
NO_EVENTS = Recent.of([])
