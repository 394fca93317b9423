"""A soak: ``graphrec serve`` at a fixed rate for minutes, reads and writes mixed (90 % the shop
page's recommendations, similar items and trending for known and new shoppers; 10 % recorded
events), open loop. Prints, per window, requests, errors, p50 and p99 latency (from each
request's scheduled time) and the server's memory; at the end, whether every acknowledged
event is in the store. Serves a copy of the embedded store it is given:

    python benchmarks/reliability/soak.py --store $GRAPHREC_DATA_DIR/store --artifact MODEL \\
        --minutes 10 --rate 100
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "serve"))

from load import free_port, open_loop  # noqa: E402
from served import copy_store, percentile_ms, rss_mb, serve, shoppers_and_items  # noqa: E402

KEY = "soak-key"
OPERATIONS = HERE.parents[1] / "api" / "operations"


def request(port: int, operation: str, variables: dict) -> bytes:
    body = orjson.dumps(
        {"query": (OPERATIONS / f"{operation}.graphql").read_text(), "variables": variables}
    )
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def mixed(port: int, shoppers: list[str], items: list[str], events: list[tuple]) -> Iterator[bytes]:
    """Forever: the mix, seeded. Each recorded event is kept in ``events``."""
    rng = random.Random(7)
    for n in itertools.count():
        roll = rng.random()
        shopper = rng.choice(shoppers) if rng.random() < 0.8 else f"soak-new-{n}"
        if roll < 0.6:
            yield request(port, "ShopRecommendations", {"user": shopper, "k": 10})
        elif roll < 0.75:
            yield request(port, "SimilarItems", {"item": rng.choice(items), "k": 10})
        elif roll < 0.9:
            yield request(port, "Trending", {"k": 10})
        else:
            event = (
                shopper,
                rng.choice(items),
                rng.choice(["view", "cart", "purchase"]),
                10_000 + n,
            )
            events.append(event)
            variables = {"userId": event[0], "itemId": event[1], "kind": event[2], "ts": event[3]}
            yield request(port, "RecordInteraction", {"input": variables})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an embedded store (copied)")
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per printed line")
    args = parser.parse_args()

    from graphrec.store import open_store

    with tempfile.TemporaryDirectory(prefix="graphrec-soak-") as folder:
        store = copy_store(args.store, Path(folder))
        shoppers, items = shoppers_and_items(store)
        port = free_port()
        server = serve(store, args.artifact, port, {"GRAPHREC_API_KEY": KEY})
        events: list[tuple] = []
        stream = mixed(port, shoppers, items, events)
        windows = max(1, round(args.minutes * 60 / args.window))
        print(
            f"{args.rate:.0f} requests/s for {args.minutes:g} min; "
            f"memory at start {rss_mb(server.pid):.0f} MB"
        )
        print("minute  requests  errors  p50 ms  p99 ms  max ms  server MB")
        total_errors = 0
        for window in range(windows):
            latencies, errors, _ = asyncio.run(open_loop(port, stream, args.rate, args.window, 16))
            total_errors += len(errors)
            print(
                f"{(window + 1) * args.window / 60:6.1f}  {len(latencies):8d}  {len(errors):6d}  "
                f"{percentile_ms(latencies, 50):6.1f}  {percentile_ms(latencies, 99):6.1f}  "
                f"{percentile_ms(latencies, 100):6.1f}  {rss_mb(server.pid):9.0f}",
                flush=True,
            )
            for error in errors[:3]:
                print("   ", error)
        server.terminate()
        server.wait(timeout=60)
        graph = open_store(str(store), read_only=True)
        kept = {
            (r["user_id"], r["item_id"], r["kind"], r["ts"])
            for b in graph.stream("interactions")
            for r in b.to_pylist()
            if r["ts"] >= 10_000 and r["ts"] < 10_000 + 10**9
        }
        graph.close()
        missing = [e for e in events if e not in kept]
        print(
            f"errors: {total_errors}; events sent: {len(events)}, "
            f"missing from the store: {len(missing)}"
        )


if __name__ == "__main__":
    main()
