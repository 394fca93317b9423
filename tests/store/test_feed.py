"""The change feed and settings: part of the behaviour suite, every backend passes it unchanged."""

from __future__ import annotations

import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.rules import Rule
from graphrec.store import GraphBatch, GraphStore
from graphrec.store.feed import FEED_ROWS, batch_of
from tests.graphs import interactions_table, shop_batch


def _events(rows: list[tuple[str, str, str, int]]) -> GraphBatch:
    return GraphBatch(
        users=pa.table({"id": sorted({r[0] for r in rows})}),
        interactions=interactions_table([(u, i, k, 1.0, None, ts) for u, i, k, ts in rows]),
    )


def test_every_write_records_one_change_that_carries_its_rows(store: GraphStore) -> None:
    start = store.change_head()
    summary = store.write(shop_batch())
    assert summary.change == start + 1 == store.change_head()
    events = _events([("erin", "serum", "view", 900)])
    assert store.write(events).change == start + 2
    first, second = store.changes(after=start)
    assert (first.seq, first.kind) == (start + 1, "write")
    assert (second.seq, second.kind) == (start + 2, "write")
    carried = batch_of(second.body)
    assert carried.users.column("id").to_pylist() == ["erin"]
    assert carried.interactions.to_pylist() == events.interactions.to_pylist()
    assert batch_of(first.body).sizes() == shop_batch().sizes()
    assert store.changes(after=start + 1) == [second]
    assert store.changes(after=start, limit=1) == [first]


def test_a_failed_write_records_no_change(store: GraphStore) -> None:
    store.write(shop_batch())
    head = store.change_head()
    dangling = _events([("erin", "no-such-item", "view", 900)])
    with pytest.raises(InvalidInput):
        store.write(dangling)
    assert store.change_head() == head
    assert store.changes(after=head) == []


def test_a_large_write_asks_processes_to_reload(store: GraphStore) -> None:
    store.write(shop_batch())
    head = store.change_head()
    rows = [(f"u{n}", "serum", "view", n) for n in range(FEED_ROWS)]
    store.write(_events(rows))
    (change,) = store.changes(after=head)
    assert change.kind == "reload"
    assert f"{FEED_ROWS * 2:,} rows" in change.body["reason"]


def test_deletes_rules_and_settings_each_record_their_change(store: GraphStore) -> None:
    store.write(shop_batch())
    head = store.change_head()
    assert store.delete_user("alice")
    assert not store.delete_user("nobody")  # nothing deleted: nothing recorded
    store.put_rule(Rule(id="pin", action="pin", item="toner", position=1))
    assert not store.delete_rule("no-such-rule")
    assert store.delete_rule("pin")
    seq = store.put_setting("model", "gfcf-1")
    assert store.settings() == {"model": "gfcf-1"}
    store.put_setting("model", "gfcf-2")
    assert store.settings() == {"model": "gfcf-2"}
    changes = store.changes(after=head)
    assert [(c.kind, c.body) for c in changes] == [
        ("forget", {"user_id": "alice"}),
        ("rules", {}),
        ("rules", {}),
        ("setting", {"key": "model", "value": "gfcf-1"}),
        ("setting", {"key": "model", "value": "gfcf-2"}),
    ]
    assert changes[3].seq == seq
    assert [c.seq for c in changes] == list(range(head + 1, head + 6))


def test_clear_keeps_numbering_going_up(store: GraphStore) -> None:
    store.write(shop_batch())
    head = store.change_head()
    store.clear()
    assert store.change_head() == head + 1
    (change,) = store.changes(after=head)
    assert change.kind == "reload"
    assert store.settings() == {}
    assert store.counts().nodes["User"] == 0
    assert store.write(shop_batch()).change == head + 2


def test_a_privacy_delete_takes_the_shoppers_events_out_of_the_feed(store: GraphStore) -> None:
    store.write(shop_batch())
    store.write(
        GraphBatch(
            users=pa.table({"id": ["erin", "frank"]}),
            interactions=interactions_table(
                [
                    ("erin", "serum", "view", 1.0, None, 500),
                    ("frank", "cream", "view", 1.0, None, 510),
                    ("erin", "cream", "purchase", 5.0, None, 520),
                ]
            ),
        )
    )
    assert store.delete_user("erin")
    changes = store.changes(after=0)
    writes = [c.body for c in changes if c.kind == "write"]
    assert not any("erin" in str(body) for body in writes)
    last = batch_of(writes[-1])  # frank's event and user row are kept
    assert last.interactions.column("user_id").to_pylist() == ["frank"]
    assert last.users.column("id").to_pylist() == ["frank"]
    assert changes[-1].kind == "forget" and changes[-1].body == {"user_id": "erin"}
