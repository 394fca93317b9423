"""A server's memory under one kind of request at a time: for each kind, a fresh ``graphrec
serve`` on a copy of the embedded store, requests one after another on one connection, and
its resident memory after each round.

    python benchmarks/reliability/memory_by_request.py --store STORE --artifact MODEL \\
        [--kinds recs-known,recs-new,similar,trending,record] [--rounds 5] [--per-round 2000]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))

from load import free_port  # noqa: E402
from served import copy_store, rss_mb, serve, shoppers_and_items  # noqa: E402

OPERATIONS = Path(__file__).resolve().parents[2] / "api" / "operations"
KEY = "memory-key"


def requests(kind: str, shoppers: list[str], items: list[str]) -> Callable[[], tuple[str, Any]]:
    """The next (operation, variables) of a kind, seeded."""
    rng, counter = random.Random(1), itertools.count()

    def next_request() -> tuple[str, Any]:
        n = next(counter)
        if kind == "recs-known":
            return "ShopRecommendations", {"user": rng.choice(shoppers), "k": 10}
        if kind == "recs-new":
            return "ShopRecommendations", {"user": f"memory-new-{n}", "k": 10}
        if kind == "similar":
            return "SimilarItems", {"item": rng.choice(items), "k": 10}
        if kind == "trending":
            return "Trending", {"k": 10}
        event = {"userId": rng.choice(shoppers), "itemId": rng.choice(items), "kind": "view"}
        return "RecordInteraction", {"input": {**event, "ts": 10_000 + n}}

    return next_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an embedded store (copied)")
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--kinds", default="recs-known,recs-new,similar,trending,record")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=2000)
    args = parser.parse_args()
    texts = {path.stem: path.read_text() for path in OPERATIONS.glob("*.graphql")}
    with tempfile.TemporaryDirectory(prefix="graphrec-memory-") as folder:
        store = copy_store(args.store, Path(folder))
        shoppers, items = shoppers_and_items(store)
        print(
            f"{'kind':<12}{'start':>8}"
            + "".join(f"{(r + 1) * args.per_round:>8}" for r in range(args.rounds))
            + "  seconds"
        )
        for kind in args.kinds.split(","):
            port = free_port()
            server = serve(store, args.artifact, port, {"GRAPHREC_API_KEY": KEY})
            connection = http.client.HTTPConnection("127.0.0.1", port)
            next_request = requests(kind, shoppers, items)
            sizes, started = [rss_mb(server.pid)], time.perf_counter()
            for _ in range(args.rounds):
                for _ in range(args.per_round):
                    operation, variables = next_request()
                    body = orjson.dumps({"query": texts[operation], "variables": variables})
                    headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
                    connection.request("POST", "/graphql", body, headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    if answer.status != 200 or b'"errors"' in data:
                        raise SystemExit(f"{kind}: {answer.status} {data[:300]!r}")
                sizes.append(rss_mb(server.pid))
            print(
                f"{kind:<12}"
                + "".join(f"{size:8.0f}" for size in sizes)
                + f"  {time.perf_counter() - started:7.0f}",
                flush=True,
            )
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
