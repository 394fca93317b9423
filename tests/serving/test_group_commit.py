"""Group commit: concurrent writes share transactions, each caller answered after its own
write committed; duplicates are one event; a failed group fails its callers only."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from graphrec.serving.event_writes import EventInput
from graphrec.serving.group_commit import GroupCommit
from graphrec.serving.service import Service
from graphrec.store.base import GraphStore
from tests.graphs import served_config, shop_batch


def test_units_submitted_while_a_group_commits_form_the_next_group() -> None:
    committed: list[list[int]] = []
    entered, gate = threading.Event(), threading.Event()

    def commit(group: list[int]) -> list[int]:
        entered.set()
        gate.wait(5)  # the first group is held until the others are queued
        committed.append(group)
        return [n * 10 for n in group]

    writer = GroupCommit(commit, max_size=3)
    futures = [writer.submit(0)]
    assert entered.wait(5)
    futures += [writer.submit(n) for n in range(1, 7)]
    gate.set()
    assert [f.result(5) for f in futures] == [0, 10, 20, 30, 40, 50, 60]
    assert committed[0] == [0]  # alone when it was taken
    assert committed[1:] == [[1, 2, 3], [4, 5, 6]]  # then up to max_size each
    assert (writer.groups, writer.units) == (3, 7)
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(8)


def test_a_failed_commit_fails_its_group_and_the_writer_goes_on() -> None:
    def commit(group: list[int]) -> list[int]:
        if -1 in group:
            raise OSError("disk full")
        return group

    writer = GroupCommit(commit)
    with pytest.raises(OSError, match="disk full"):
        writer.submit(-1).result(5)
    assert writer.submit(4).result(5) == 4
    writer.close()


def test_concurrent_calls_share_transactions_and_a_repeated_event_is_one(
    embedded: GraphStore, shop_artifact: Path
) -> None:
    embedded.write(shop_batch())
    embedded_service = Service.open(embedded, shop_artifact, config=served_config())
    before = embedded.counts().relationships["INTERACTED"]
    calls = [[EventInput(f"new{n}", "serum", "view", ts=1_000 + n)] for n in range(40)]
    calls += [[EventInput("alice", "toner", "cart", ts=2_000)] for _ in range(5)]  # one event
    threads = [threading.Thread(target=embedded_service.record, args=(events,)) for events in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert embedded.counts().relationships["INTERACTED"] == before + 41
    assert embedded_service.commits.units == 45
    assert embedded_service.commits.groups < 45  # some shared a transaction
    live = embedded_service.engine.live
    alice = live.history(live.user_index["alice"])
    assert sum(1 for e in alice if e.kind == "cart" and e.ts == 2_000) == 1
    embedded_service.close()
