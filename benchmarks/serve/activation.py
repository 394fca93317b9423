"""Model activation under load: ``graphrec models activate`` while a server answers a steady
stream of shop-page requests. Prints the failed requests (the target: none), the latency
during the switch against before it, and how long after the command every answer came from the
new version.

    python benchmarks/serve/activation.py --store /tmp/dev/store --to VERSION [--rate 200]
    python benchmarks/serve/activation.py --store neo4j://127.0.0.1:7687 --to VERSION --workers 2

The server serves the store's active version at start (``graphrec models list``); ``--to`` names
the one to switch to. On the embedded store the command goes through the running server; on
Neo4j it writes the store, and every worker follows its change feed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import QUERY, free_port, request_bytes, wait_ready  # noqa: E402

GRAPHREC = str(Path(sys.executable).parent / "graphrec")


async def answer(port: int, request: bytes) -> tuple[float, float, str | None]:
    """(sent at, latency, model version or None for a failed request), on a new connection
    per request (so that with several workers every one of them answers)."""
    sent = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = orjson.loads(await reader.readexactly(length))
        writer.close()
        version = None
        if head.startswith(b"HTTP/1.1 200") and "errors" not in body:
            version = body["data"]["recommendations"]["modelVersion"]
    except (OSError, ValueError, StopIteration, asyncio.IncompleteReadError):
        version = None
    return sent, time.perf_counter() - sent, version


async def steady(port: int, rate: float, seconds: float, users: list[str]) -> list[tuple]:
    started, tasks, n = time.perf_counter(), [], 0
    while n < rate * seconds:
        due = started + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        request = request_bytes(port, QUERY, users[n % len(users)])
        tasks.append(asyncio.ensure_future(answer(port, request)))
        n += 1
    return list(await asyncio.gather(*tasks))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--to", required=True, help="the version to activate")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s offered")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run")
    parser.add_argument("--at", type=float, default=10.0, help="seconds in, the activation")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "GRAPHREC_STORE": args.store}
    command = [GRAPHREC, "serve", "--port", str(port), "--workers", str(args.workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, server)
        users = [f"activation-{i}" for i in range(100_000)]  # new shoppers: no reuse

        async def run() -> tuple[list[tuple], float, float]:
            load = asyncio.ensure_future(steady(port, args.rate, args.seconds, users))
            await asyncio.sleep(args.at)
            before = time.perf_counter()
            activate = await asyncio.create_subprocess_exec(
                GRAPHREC, "models", "activate", args.to, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            said, _ = await activate.communicate()
            if activate.returncode != 0:
                raise SystemExit(f"graphrec models activate failed: {said.decode()}")
            told = time.perf_counter()
            return await load, before, told

        answers, asked, told = asyncio.run(run())
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    failed = [a for a in answers if a[2] is None]
    old = [a for a in answers if a[2] is not None and a[2] != args.to]
    last_old = max((sent + latency for sent, latency, _ in old), default=asked)
    first_new = min((s + lat for s, lat, v in answers if v == args.to), default=float("nan"))
    after_last_old = [s + lat for s, lat, v in answers if v == args.to and s > last_old]
    before = [lat for s, lat, v in answers if v is not None and s < asked]
    during = [lat for s, lat, v in answers if v is not None and asked <= s <= max(last_old, told)]
    print(
        f"{len(answers)} requests at {args.rate:.0f}/s, {args.workers} worker(s); "
        f"failed: {len(failed)}"
    )
    print(
        f"activate command: {told - asked:.2f} s; first answer from {args.to}: "
        f"{first_new - asked:.2f} s after it began; last answer from the old version: "
        f"{last_old - asked:.2f} s after it began"
    )
    print(f"new-version answers after the last old one: {len(after_last_old)}")
    for name, values in (("before", before), ("during the switch", during)):
        print(
            f"latency {name:18s} p50 {percentile(values, 0.5) * 1e3:7.2f} ms  "
            f"p99 {percentile(values, 0.99) * 1e3:7.2f} ms  ({len(values)} answers)"
        )


if __name__ == "__main__":
    main()
