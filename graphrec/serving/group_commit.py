"""Group commit: concurrent writes share one transaction.

Callers :meth:`GroupCommit.submit` a unit of work and get a future. One writer thread takes
everything submitted while the previous group was committing and commits it with a single
call, then answers every caller of the group: each answer comes after its write is durable,
and a transaction's fixed cost (the store's log flush, a round trip) is paid once per group
instead of once per write. A caller alone waits for nothing but its own commit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``commit(group)`` writes a group and returns one result per unit, in order; it raises
    to fail the whole group. ``size(unit)`` counts what a unit holds (events): a group holds
    at most ``max_size`` of it, or one unit larger than that."""

    def __init__(
        self,
        commit: Callable[[list[T]], Sequence[R]],
        size: Callable[[T], int] = lambda _: 1,
        max_size: int = 5000,
        name: str = "group-commit",
    ) -> None:
        self._commit, self._size, self.max_size, self.name = commit, size, max_size, name
        self._pending: deque[tuple[T, Future[R]]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: groups committed and units in them (for the metrics and the benchmark)
        self.groups = self.units = 0

    def submit(self, unit: T) -> Future[R]:
        future: Future[R] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            self._pending.append((unit, future))
            if self._thread is None:  # started on first use: a process that never writes has none
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._ready.notify()
        return future

    def close(self) -> None:
        """Commit what is pending, then stop the writer."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _take(self) -> list[tuple[T, Future[R]]] | None:
        with self._ready:
            while not self._pending and not self._closed:
                self._ready.wait()
            if not self._pending:
                return None
            group = [self._pending.popleft()]
            size = self._size(group[0][0])
            while self._pending and size + self._size(self._pending[0][0]) <= self.max_size:
                size += self._size(self._pending[0][0])
                group.append(self._pending.popleft())
            return group

    def _run(self) -> None:
        while (group := self._take()) is not None:
            futures = [f for _, f in group]
            try:
                results = self._commit([unit for unit, _ in group])
            except BaseException as e:  # noqa: BLE001 - every caller of the group gets it
                for future in futures:
                    future.set_exception(e)
                continue
            self.groups += 1
            self.units += len(group)
            for future, result in zip(futures, results, strict=True):
                future.set_result(result)
