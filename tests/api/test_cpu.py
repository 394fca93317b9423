"""``graphrec serve --busy-poll``: the worker's core kept busy by an idle-priority thread."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from graphrec.errors import InvalidInput

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="busy polling is Linux only"
)


def test_busy_poll_pins_the_loop_and_spins_at_idle_priority() -> None:
    from graphrec.api.cpu import BusyPoll, default_cpu

    cpu = default_cpu()
    assert cpu == max(os.sched_getaffinity(0))
    seen: dict[str, object] = {}

    def event_loop_thread() -> None:  # pinned by start(): not the test runner's own thread
        poller = BusyPoll(cpu).start()
        seen["loop"] = os.sched_getaffinity(0)
        spinner = poller.thread.native_id
        assert spinner is not None
        seen["spinner"] = os.sched_getaffinity(spinner)
        seen["policy"] = os.sched_getscheduler(spinner)
        before = poller.spun
        # idle priority: it spins only while the core has nothing else to run, so on a busy
        # machine it may wait for its turn
        deadline = time.monotonic() + 10.0
        time.sleep(0.05)
        while poller.spun == before and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["spun"] = poller.spun - before
        poller.stop()
        seen["alive"] = poller.thread.is_alive()

    thread = threading.Thread(target=event_loop_thread)
    thread.start()
    thread.join(timeout=30)
    assert seen["loop"] == seen["spinner"] == {cpu}
    assert seen["policy"] == os.SCHED_IDLE
    assert isinstance(seen["spun"], int) and seen["spun"] > 0
    assert seen["alive"] is False


def test_busy_poll_refuses_a_core_the_process_may_not_use() -> None:
    from graphrec.api.cpu import BusyPoll

    missing = max(os.sched_getaffinity(0)) + 1
    with pytest.raises(InvalidInput, match=f"--cpu {missing}: this process may run only on"):
        BusyPoll(missing)
