"""Recorded events per second, and how long each waits for its acknowledgement, with concurrent
``recordInteraction`` calls to one ``graphrec serve`` (each call one event, acknowledged once
it is committed). With ``--kill-after S`` the server is killed (SIGKILL) S seconds in, started
again, and every acknowledged event is looked for in the store and in the server's answers.

Writes into a copy of the embedded store it is given (the original is not touched):

    python benchmarks/reliability/events.py --store $GRAPHREC_DATA_DIR/store --artifact MODEL
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))

from load import exchange, free_port  # noqa: E402
from served import copy_store, percentile_ms, serve  # noqa: E402

KEY = "reliability-bench"
#: The persisted operation a shop frontend sends (api/operations/); --inline sends the same
#: mutation under another name, which Strawberry answers.
RECORD = (
    Path(__file__).resolve().parents[2] / "api/operations/RecordInteraction.graphql"
).read_text()


def request(port: int, query: str, user: str, item: str, ts: int) -> bytes:
    variables = {"input": {"userId": user, "itemId": item, "kind": "view", "ts": ts}}
    body = orjson.dumps({"query": query, "variables": variables})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def record(
    port: int, query: str, connections: int, seconds: float, items: list[str], run: str
) -> tuple[list[tuple[str, str, int]], list[float], list[str], float]:
    """Closed loop: each connection sends its next event once the last one was acknowledged.
    Every event is new (its own shopper and time); what was acknowledged, the latencies."""
    acked: list[tuple[str, str, int]] = []
    took: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def connection(number: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as e:
            errors.append(f"connect: {e}")
            return
        n = 0
        try:
            while time.perf_counter() < deadline:
                event = (f"{run}-{number}-{n}", items[(number * 7919 + n) % len(items)], 1_000 + n)
                failed = len(errors)
                started = time.perf_counter()
                await exchange(reader, writer, request(port, query, *event), errors)
                if len(errors) == failed:
                    took.append(time.perf_counter() - started)
                    acked.append(event)
                n += 1
        except (OSError, asyncio.IncompleteReadError) as e:  # the server went away
            errors.append(f"connection lost: {type(e).__name__}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(n) for n in range(connections)))
    return acked, took, errors, time.perf_counter() - started


def metric(port: int, name: str) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return float("nan")


def stored_events(store: Path, run: str) -> set[tuple[str, str, int]]:
    from graphrec.store import open_store

    graph = open_store(str(store), read_only=True)
    try:
        found = set()
        for batch in graph.stream("interactions"):
            table = batch.to_pydict()
            for user, item, ts in zip(table["user_id"], table["item_id"], table["ts"], strict=True):
                if user.startswith(run):
                    found.add((user, item, ts))
        return found
    finally:
        graph.close()


def answered(port: int, events: list[tuple[str, str, int]]) -> int:
    """How many of the events the server's answers show (each shopper's history)."""
    import urllib.request

    shown = 0
    for user, item, ts in events:
        query = f'{{ user(id: "{user}") {{ history {{ item {{ id }} ts }} }} }}'
        body = orjson.dumps({"query": query})
        asked = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=body,
            headers={"content-type": "application/json", "x-api-key": KEY},
        )
        with urllib.request.urlopen(asked, timeout=30) as answer:
            user_seen = orjson.loads(answer.read())["data"]["user"]
        history = user_seen["history"] if user_seen else []
        shown += any(e["item"]["id"] == item and e["ts"] == ts for e in history)
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an embedded store (copied)")
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--inline", action="store_true", help="send the mutation unpersisted (Strawberry)"
    )
    parser.add_argument("--kill-after", type=float, help="SIGKILL the server this many seconds in")
    args = parser.parse_args()

    from graphrec.store import open_store

    with tempfile.TemporaryDirectory(prefix="graphrec-events-") as folder:
        store = copy_store(args.store, Path(folder))
        graph = open_store(str(store), read_only=True)
        items = [row["id"] for b in graph.stream("items") for row in b.to_pylist()][:5000]
        graph.close()
        port, run = free_port(), f"bench{time.time_ns()}"
        server = serve(store, args.artifact, port, {"GRAPHREC_API_KEY": KEY})
        seconds = args.kill_after if args.kill_after is not None else args.seconds
        query = RECORD.replace("RecordInteraction(", "Inline(") if args.inline else RECORD
        loop_task = record(port, query, args.connections, args.seconds, items, run)

        async def with_kill() -> tuple:
            task = asyncio.ensure_future(loop_task)
            await asyncio.sleep(seconds)
            if args.kill_after is not None:
                server.send_signal(signal.SIGKILL)
            return await task

        acked, took, errors, wall = asyncio.run(with_kill())
        if args.kill_after is None:
            groups = metric(port, "graphrec_event_commits")
            server.terminate()
            server.wait(timeout=60)
        else:
            server.wait(timeout=60)
            groups = float("nan")
        print(f"connections {args.connections}, {wall:.1f} s")
        print(f"acknowledged events: {len(acked)} ({len(acked) / wall:,.0f}/s)")
        p50, p99 = percentile_ms(took, 50), percentile_ms(took, 99)
        print(f"acknowledgement ms: p50 {p50:.1f}, p99 {p99:.1f}")
        if groups == groups:
            print(f"transactions: {groups:.0f} ({len(acked) / max(groups, 1):.1f} events each)")
        kinds = sorted({e.split(":")[0] for e in errors})
        print(f"failed calls: {len(errors)} {kinds[:3]}")
        if args.kill_after is not None:
            kept = stored_events(store, run)
            lost = [e for e in acked if e not in kept]
            print(f"after kill -9: {len(lost)} of {len(acked)} acknowledged events missing")
            extra = len(kept - set(acked))
            print(f"in the store, not acknowledged (in flight at the kill): {extra}")
            server = serve(store, args.artifact, port, {"GRAPHREC_API_KEY": KEY})
            try:
                shown = answered(port, acked)
                print(f"restarted: {shown} of {len(acked)} acknowledged events in its answers")
            finally:
                server.terminate()
                server.wait(timeout=60)


if __name__ == "__main__":
    main()
