"""Keeping the server's core awake between requests (``graphrec serve --busy-poll``).

Measured on the 2-core VM of ``benchmarks/serve``: at 1,000 requests/s the worker sat idle a
third of the time, and every request after an idle gap ran on a core that had gone to sleep
(in a VM, its CPU handed back to the host) with cold caches: a new shopper's answer took a
median 0.65 ms of CPU in the compiled plan, against 0.50-0.57 ms when requests came back to
back, and the slower answers made queues. With the worker pinned to one core and an
idle-priority thread spinning on that core whenever the event loop waits, it took 0.55 ms, and
the p99 was at most 15 ms in 20 runs of 25, against 6 of 11 without (README of
``benchmarks/serve``).

The spinning thread runs only when the worker has nothing to do (``SCHED_IDLE``: any other
thread on the core preempts it at once) and holds the GIL only for a moment between spins of
about 50 us, so it takes next to no time from requests; it does keep that core at 100 %, which
is its cost: for a server with a core of its own, where latency matters more than power.
"""

from __future__ import annotations

import os
import threading

from numba import njit

from graphrec.errors import ConfigError, InvalidInput

#: Rounds of :func:`_spin` per call: about 50 us, after which the thread checks whether to stop.
ROUNDS = 50_000


@njit(nogil=True, cache=True)
def _spin(rounds: int) -> int:  # pragma: no cover - compiled
    """Busy work the compiler cannot drop (its result is returned), without the GIL."""
    x = 1
    for i in range(rounds):
        x = (x * 1103515245 + i) & 0xFFFFFFFF
    return x


def default_cpu() -> int:
    """The last core this process may run on (a load generator or the OS keeps the first)."""
    return max(os.sched_getaffinity(0))


class BusyPoll:
    """Pins the calling thread (the event loop's) to ``cpu`` and keeps that core busy with an
    idle-priority thread while the event loop waits."""

    def __init__(self, cpu: int) -> None:
        if not hasattr(os, "sched_setaffinity") or not hasattr(os, "SCHED_IDLE"):
            raise ConfigError("--busy-poll needs Linux (sched_setaffinity and SCHED_IDLE)")
        allowed = os.sched_getaffinity(0)
        if cpu not in allowed:
            raise InvalidInput(f"--cpu {cpu}: this process may run only on cores {sorted(allowed)}")
        self.cpu = cpu
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="graphrec-busy-poll", daemon=True)
        self.spun = 0

    def start(self) -> BusyPoll:
        _spin(1)  # compiled (or loaded from numba's cache) before any request
        os.sched_setaffinity(0, {self.cpu})  # pid 0: the calling thread only
        self.thread.start()
        return self

    def _run(self) -> None:
        os.sched_setaffinity(0, {self.cpu})
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        while not self.stopped.is_set():
            _spin(ROUNDS)
            self.spun += 1

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
