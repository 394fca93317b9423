"""Milliseconds per ``recordInteraction``-sized write: one event at a time, durably in the store
before the next, through the service as the API calls it. Writes into the store it is given."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="a store to write into (use a copy)")
    parser.add_argument("--artifact", required=True, type=Path)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()

    from graphrec.serving.event_writes import EventInput
    from graphrec.serving.service import Service
    from graphrec.store import open_store

    service = Service.open(open_store(args.store), args.artifact)
    live = service.engine.live
    shoppers = [u for u in live.user_ids if u is not None]
    items = live.item_ids
    took = []
    for n in range(args.events):  # a known shopper views an item; every tenth is a new shopper
        user = (
            f"bench-new-{time.time_ns()}" if n % 10 == 9 else shoppers[(n * 7919) % len(shoppers)]
        )
        event = EventInput(user_id=user, item_id=items[(n * 104729) % len(items)], kind="view")
        started = time.perf_counter()
        service.record([event])
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    print(
        f"{args.events} events one at a time: median {statistics.median(took):.1f} ms, "
        f"p99 {took[int(0.99 * (len(took) - 1))]:.1f} ms"
    )


if __name__ == "__main__":
    main()
