"""Serving speed: ``recommendations(k: 20)`` with reasons, one uvicorn worker, on 127.0.0.1.

Starts each server as a subprocess, waits until it answers, drives it with a bounded load
generator (keep-alive HTTP/1.1 connections, one request in flight on each, shoppers drawn from
the store's users), stops it, and prints requests/s and latency percentiles side by side:

- graphrec: ``graphrec serve`` (compiled query plans, reasons, filters, re-ranking)
- graphrec, Strawberry executor: the same server with the compiled plans switched off
- naive: plain Strawberry + torch top-k, no reasons (benchmarks/serve/naive.py)

    python benchmarks/serve/run.py --store STORE --artifact ARTIFACT [--seconds 15]

The load generator runs in this process, so on a 2-core machine it takes one core and the
server the other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
QUERY = """query Recs($user: ID!) {
  recommendations(userId: $user, k: 20) {
    recommendationId strategy
    items { rank score item { id title price brand { name } category { name } }
            reasons { kind text support
                      path { nodes { label id name } relationships { type start end } } } }
  }
}"""
NAIVE_QUERY = """query Recs($user: String!) {
  recommendations(userId: $user, k: 20) { rank score item { id title } }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_bytes(port: int, query: str, user: str) -> bytes:
    body = orjson.dumps({"query": query, "variables": {"user": user}})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_connection(
    port: int, requests: list[bytes], deadline: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        index = random.randrange(len(requests))
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or b'"errors"' in body[:200]:
                errors.append(body[:200].decode(errors="replace"))
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], seconds: float, connections: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    # warm-up: caches, plans, first allocations
    await one_connection(port, requests, time.perf_counter() + 2.0, [], [])
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(one_connection(port, requests, deadline, latencies, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    started = time.time()
    while time.time() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def measure(name: str, command: list[str], port: int, query: str, users: list[str], args) -> dict:
    env = {**os.environ, "GRAPHREC_STORE": args.store}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, process)
        requests = [request_bytes(port, query, u) for u in users]
        result = asyncio.run(load(port, requests, args.seconds, args.connections))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    result["name"] = name
    print(
        f"{name:34s} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p95 {result['p95_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
        f"({result['requests']} requests, {result['errors']} errors)",
        flush=True,
    )
    if result["first_error"]:
        print("   first error:", result["first_error"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=5000, help="distinct shoppers asked for")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()

    import pyarrow.parquet as pq

    users = pq.read_table(Path(args.artifact) / "snapshot" / "users.parquet").column("id")
    rng = random.Random(0)
    chosen = rng.sample(users.to_pylist(), min(args.users, len(users)))
    graphrec = [sys.executable, "-m", "graphrec.cli", "serve", "--artifact", args.artifact]
    results = []
    port = free_port()
    results.append(
        measure(
            "graphrec (compiled plans)", [*graphrec, "--port", str(port)], port, QUERY, chosen, args
        )
    )
    port = free_port()
    results.append(
        measure(
            "graphrec (Strawberry executor)",
            [*graphrec, "--port", str(port), "--no-fast-path"],
            port,
            QUERY,
            chosen,
            args,
        )
    )
    if not args.skip_naive:
        port = free_port()
        naive = [sys.executable, str(HERE / "naive.py"), args.artifact, str(port)]
        results.append(
            measure(
                "naive (Strawberry + top-k, no reasons)", naive, port, NAIVE_QUERY, chosen, args
            )
        )
        base = results[-1]
        for r in results[:-1]:
            print(
                f"{r['name']}: {r['rps'] / base['rps']:.1f}x the naive requests/s, "
                f"p99 {base['p99_ms'] / r['p99_ms']:.1f}x lower"
            )


if __name__ == "__main__":
    main()
