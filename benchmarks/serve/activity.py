"""How long making popular and trending afresh takes: the store's per-item query
(``GraphStore.item_activity``, what every serving process runs each refresh) against the same
counts made in memory from a snapshot (what a process does at load).

    python benchmarks/serve/activity.py --store STORE [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from graphrec.graph.snapshot import export_snapshot
from graphrec.serving.activity import Activity, ActivitySettings
from graphrec.serving.live import LiveGraph
from graphrec.store import open_store
from graphrec.store.base import empty_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    store = open_store(args.store)
    try:
        snapshot = export_snapshot(store)
        live = LiveGraph(
            snapshot, empty_table("bought_with"), empty_table("similar_to"), ActivitySettings()
        )
        params = live.activity.query_params()
        store_s, memory_s = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            rows = store.item_activity(**params)
            fresh = live.activity.afresh(rows, live.item_index, live.num_items)
            store_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            kinds = snapshot.column("kind")
            made = Activity.from_events(
                snapshot.column("user"), snapshot.column("item"), snapshot.column("ts"),
                live.interested_kinds[kinds], live.num_items, ActivitySettings(),
            )  # fmt: skip
            memory_s.append(time.perf_counter() - started)
        agree = np.array_equal(made.shoppers, fresh.shoppers) and np.allclose(
            made.popular_score, fresh.popular_score, rtol=0, atol=1e-9
        )
        print(
            f"store {store.url}: {len(snapshot.column('ts')):,} interactions, {len(rows):,} items"
        )
        print(f"  from the store (query + arrays): median {statistics.median(store_s):.3f} s")
        print(f"  in memory from the snapshot:     median {statistics.median(memory_s):.3f} s")
        ratio = statistics.median(store_s) / statistics.median(memory_s)
        print(f"  ratio store / memory: {ratio:.1f}x")
        print(f"  the two agree: {agree}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
