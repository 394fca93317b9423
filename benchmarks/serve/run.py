"""Serving speed: ``recommendations(k: 20)`` with reasons, one uvicorn worker, on 127.0.0.1.

Starts each server as a subprocess, waits until it answers, drives it with a bounded load
generator (keep-alive HTTP/1.1 connections, shoppers drawn from the store's users), stops it,
and prints requests/s and latency percentiles side by side. Two kinds of load:

- open loop (``--rate``, default 1,000 requests/s): requests at a fixed rate on a pool of
  connections, each latency counted from the request's scheduled time: the latency a shop sees
  at that traffic, queueing included;
- closed loop (``--connections``, one request in flight on each): as many as the server answers,
  its capacity.

Servers:

- graphrec: ``graphrec serve`` (compiled query plans, reasons, filters, re-ranking)
- graphrec, Strawberry executor: the same server with the compiled plans switched off
- naive: plain Strawberry + torch top-k, no reasons (benchmarks/serve/naive.py)

    python benchmarks/serve/run.py --store STORE --artifact ARTIFACT [--seconds 15]

The load generator runs in this process, so on a 2-core machine it takes one core and the
server the other; with ``--busy-poll`` the graphrec servers run ``graphrec serve --busy-poll``
(pinned to the last core, kept awake between requests) and the generator is pinned to the
other cores. While it measures, the generator's garbage collector is off (its full
collections stopped it for 40-50 ms, which counted as the server's latency).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
#: The shop page's persisted operation (k given as 20 in every request's variables).
QUERY = (HERE.parents[1] / "api" / "operations" / "ShopRecommendations.graphql").read_text()
NAIVE_QUERY = """query Recs($user: String!) {
  recommendations(userId: $user, k: 20) { rank score item { id title } }
}"""


#: Shoppers asked for before a new-shopper measurement, never among those measured.
WARM_UP = 1000
#: The p99 target at 1,000 requests/s.
TARGET_P99_MS = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_bytes(port: int, query: str, user: str) -> bytes:
    body = orjson.dumps({"query": query, "variables": {"user": user, "k": 20}})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, errors: list[str]
) -> None:
    """Send one request and read its whole answer; a failed one goes to ``errors``."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200") or b'"errors"' in body[:200]:
        errors.append(body[:200].decode(errors="replace"))


async def one_connection(
    port: int, requests: Iterator[bytes], deadline: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            request = next(requests, None)
            if request is None:  # a finite round is over
                break
            started = time.perf_counter()
            await exchange(reader, writer, request, errors)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def open_loop(
    port: int, requests: Iterator[bytes], rate: float, seconds: float, connections: int
) -> tuple[list[float], list[str], float]:
    """Requests at a fixed rate whatever the server does (open loop, as wrk2 does), sent on a
    pool of keep-alive connections. Each latency counts from the request's scheduled time, so
    waiting for a free connection (the server falling behind) is part of it: no coordinated
    omission. Returns latencies, errors and the seconds it took to send them all."""
    pool: asyncio.Queue = asyncio.Queue()
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    for connection in opened:
        pool.put_nowait(connection)
    latencies: list[float] = []
    errors: list[str] = []

    async def one(request: bytes, due: float) -> None:
        reader, writer = await pool.get()
        try:
            await exchange(reader, writer, request, errors)
            latencies.append(time.perf_counter() - due)
        finally:
            pool.put_nowait((reader, writer))

    tasks = []
    started = time.perf_counter()
    total = int(rate * seconds)
    sent = 0
    while sent < total:
        due_now = min(total, int((time.perf_counter() - started) * rate) + 1)
        while sent < due_now:
            request = next(requests, None)
            if request is None:
                total = sent
                break
            tasks.append(asyncio.ensure_future(one(request, started + sent / rate)))
            sent += 1
        await asyncio.sleep(0.0005)
    sending = time.perf_counter() - started
    # the backlog is bounded by the run: what has not finished 10 s after the last send fails
    done, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
        errors.append("no answer within 10 s of the end of the run")
    for _, writer in opened:
        writer.close()
    return latencies, errors, sending


async def cache_counts(port: int) -> dict[str, float]:
    """Answer-cache hits and misses from /metrics (empty for servers without it)."""
    try:
        return await asyncio.wait_for(_cache_counts(port), timeout=5)
    except (TimeoutError, OSError, ValueError, StopIteration, asyncio.IncompleteReadError):
        return {}


async def _cache_counts(port: int) -> dict[str, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = int(next(x for x in lines if x.lower().startswith(b"content-length")).split(b":")[1])
    body = (await reader.readexactly(length)).decode()
    writer.close()
    counts = {}
    for line in body.splitlines():
        if line.startswith("graphrec_answer_cache{"):
            counts[line.split('"')[1]] = float(line.split()[-1])
    return counts


async def load(
    port: int,
    requests: list[bytes],
    seconds: float,
    connections: int,
    warm: bool,
    rate: float | None = None,
    pid: int | None = None,
) -> dict:
    """Shoppers are asked for in one shuffled round after another, shared by all connections:
    the first round meets an empty answer cache, later rounds (within its 30 s) do not."""
    latencies: list[float] = []
    errors: list[str] = []
    shared = itertools.cycle(requests)
    if warm:  # one full round first, so the measured requests are repeat visits
        await asyncio.gather(
            *(
                one_connection(port, iter(requests[c::connections]), float("inf"), [], [])
                for c in range(connections)
            ),
            return_exceptions=True,
        )
    else:  # warm-up on shoppers never measured (the last ones): plans, memos, allocations,
        # as a server that has been running has them; the measured shoppers stay unanswered
        others, requests = requests[-WARM_UP:], requests[:-WARM_UP]
        shared = itertools.cycle(requests)
        until = time.perf_counter() + 5.0
        await asyncio.gather(
            *(
                one_connection(port, iter(others[c::connections]), until, [], [])
                for c in range(connections)
            ),
            return_exceptions=True,
        )
    before = await cache_counts(port)
    # The generator's own garbage collector off while it measures: a full collection over its
    # thousands of tasks stopped its event loop for 40-50 ms, and the requests it then sent
    # late counted as the server's latency (reference counting still frees what ends).
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu_before = thread_cpu_seconds(pid)
    started = time.perf_counter()
    try:
        if rate is None:  # closed loop: as fast as the server answers
            deadline = started + seconds
            await asyncio.gather(
                *(
                    one_connection(port, shared, deadline, latencies, errors)
                    for _ in range(connections)
                )
            )
        else:
            latencies, errors, _ = await open_loop(port, shared, rate, seconds, connections)
    finally:
        gc.enable()
        gc.unfreeze()
    elapsed = time.perf_counter() - started
    cpu_after = thread_cpu_seconds(pid)
    after = await cache_counts(port)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    hits = after.get("hit", 0) - before.get("hit", 0)
    misses = after.get("miss", 0) - before.get("miss", 0)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "cache_hit_rate": hits / (hits + misses) if hits + misses else None,
        # the server's CPU per answer: what its speed is, whatever the machine's load
        "cpu_ms": None
        if cpu_before is None or cpu_after is None or not latencies
        else (cpu_after - cpu_before) / len(latencies) * 1000,
    }


def thread_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds (user + system) of a process's main thread, the one that runs the event
    loop (a ``--busy-poll`` thread is left out), from ``/proc``; None where there is none."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    """Until ``GET /ready`` gets an answer (any status: the naive server has no such path) 20
    times in a row, each on a new connection: with several workers, any of them takes it."""
    started, in_a_row = time.time(), 0
    while time.time() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET /ready HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                s.recv(64)
            in_a_row += 1
            if in_a_row == 20:
                return
        except OSError:
            in_a_row = 0
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def measure(
    name: str,
    command: list[str],
    port: int,
    query: str,
    users: list[str],
    args,
    warm: bool = False,
    rate: float | None = None,
) -> dict:
    env = {**os.environ, "GRAPHREC_STORE": args.store}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    cores = os.sched_getaffinity(0)
    try:
        if args.busy_poll and len(cores) > 1:  # the generator off the server's core
            os.sched_setaffinity(0, cores - {max(cores)})
        wait_ready(port, process)
        requests = [request_bytes(port, query, u) for u in users]
        connections = args.connections if rate is None else args.open_connections
        result = asyncio.run(
            load(port, requests, args.seconds, connections, warm, rate, process.pid)
        )
    finally:
        os.sched_setaffinity(0, cores)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    result["name"] = name
    print(
        f"{name:58s} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p95 {result['p95_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
        + (f"CPU {result['cpu_ms']:.3f} ms/answer  " if result["cpu_ms"] is not None else "")
        + f"({result['requests']} requests, {result['errors']} errors"
        + (
            f", answer cache hits {result['cache_hit_rate']:.0%})"
            if result["cache_hit_rate"] is not None
            else ")"
        ),
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
    parser.add_argument(
        "--returning", type=int, default=2000, help="shoppers in the returning-shopper run"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        help="requests/s offered in the open-loop runs (0: none)",
    )
    parser.add_argument(
        "--new-rate",
        type=float,
        default=800.0,
        help="requests/s offered in one more open-loop run of new shoppers (0: none)",
    )
    parser.add_argument(
        "--open-connections", type=int, default=64, help="connection pool of the open-loop runs"
    )
    parser.add_argument(
        "--new-runs",
        type=int,
        default=1,
        help="repeat the --new-rate run this many times, each on a fresh server, and count "
        f"the runs whose p99 is at most {TARGET_P99_MS:g} ms",
    )
    parser.add_argument("--skip-closed", action="store_true", help="no closed-loop runs")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--busy-poll",
        action="store_true",
        help="serve graphrec with --busy-poll on the last core, the generator on the others",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="graphrec serve --workers (more than 1: Neo4j)"
    )
    parser.add_argument("--plot", type=Path, help="also draw the figures as a PNG here")
    args = parser.parse_args()

    import pyarrow.parquet as pq

    users = pq.read_table(Path(args.artifact) / "snapshot" / "users.parquet").column("id")
    everyone = users.to_pylist()
    random.Random(0).shuffle(everyone)
    returning = everyone[: args.returning]
    graphrec = [sys.executable, "-m", "graphrec.cli", "serve", "--artifact", args.artifact]
    results = []

    everything: list[dict] = []

    def run(
        name: str,
        command: list[str],
        query: str,
        shoppers: list[str],
        warm: bool,
        rate: float | None = None,
    ) -> dict:
        port = free_port()
        command = [part.replace("PORT", str(port)) for part in command]
        result = measure(name, command, port, query, shoppers, args, warm, rate)
        everything.append(result)
        if rate is None:
            results.append(result)
        return result

    served = [*graphrec, "--port", "PORT", *(["--busy-poll"] if args.busy_poll else [])]
    if args.workers > 1:
        served += ["--workers", str(args.workers)]
    if args.rate > 0:  # open loop: the latency a shop sees at this rate
        offered = f"{args.rate:,.0f} req/s offered"
        run(f"graphrec, new shoppers, {offered}", served, QUERY, everyone, False, args.rate)
        run(
            f"graphrec, {len(returning):,} returning shoppers, {offered}",
            served,
            QUERY,
            returning,
            True,
            args.rate,
        )
    if args.new_rate > 0:
        offered = f"{args.new_rate:,.0f} req/s offered"
        repeated = [
            run(
                f"graphrec, new shoppers, {offered}"
                + (f" ({n}/{args.new_runs})" if args.new_runs > 1 else ""),
                served,
                QUERY,
                everyone,
                False,
                args.new_rate,
            )
            for n in range(1, args.new_runs + 1)
        ]
        if args.new_runs > 1:  # this machine's speed changes: how often the target holds
            met = [r for r in repeated if r["p99_ms"] <= TARGET_P99_MS]
            print(
                f"new shoppers at {offered}: p99 <= {TARGET_P99_MS:g} ms in {len(met)} of "
                f"{len(repeated)} runs (p99 ms: "
                + ", ".join(f"{r['p99_ms']:.2f}" for r in repeated)
                + ")"
            )
    closed = f"{args.connections} connections"
    if not args.skip_closed:  # closed loop: as many as the server answers
        run(f"graphrec, new shoppers, {closed}", served, QUERY, everyone, False)
        run(
            f"graphrec, {len(returning):,} returning shoppers, {closed}",
            served,
            QUERY,
            returning,
            True,
        )
        run(
            f"graphrec, Strawberry executor, {closed}",
            [*served, "--no-fast-path"],
            QUERY,
            everyone,
            False,
        )
    if not args.skip_naive:
        naive = [sys.executable, str(HERE / "naive.py"), args.artifact, "PORT"]
        run(
            f"naive (Strawberry + top-k, no reasons), {closed}", naive, NAIVE_QUERY, everyone, False
        )
        base = results[-1]
        for r in results[:-1]:
            print(
                f"{r['name']}: {r['rps'] / base['rps']:.1f}x the naive requests/s, "
                f"p99 {base['p99_ms'] / r['p99_ms']:.1f}x lower"
            )
    if args.plot:
        plot(everything, args.plot, args.busy_poll)


def plot(results: list[dict], path: Path, busy_poll: bool = False) -> None:
    """Requests/s and p50/p99 latency of every measurement, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"].replace("graphrec, ", "") for r in results]
    rows = range(len(results))
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.55 * len(results) + 1.6), sharey=True)
    left.barh(rows, [r["rps"] for r in results], color="#4c72b0")
    for row, r in zip(rows, results, strict=True):
        left.text(r["rps"], row, f" {r['rps']:,.0f}", va="center", fontsize=8)
    left.set_xlabel("requests/s answered")
    left.set_yticks(list(rows), names, fontsize=8)
    left.invert_yaxis()
    right.barh(rows, [r["p99_ms"] for r in results], color="#dd8452", label="p99")
    right.barh(rows, [r["p50_ms"] for r in results], color="#55a868", label="p50")
    right.axvline(
        TARGET_P99_MS,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"target p99 {TARGET_P99_MS:g} ms",
    )
    right.set_xscale("log")
    right.set_xlabel("latency, ms (log scale)")
    right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(
        "recommendations(k: 20) with reasons, one uvicorn worker, 2-core machine"
        + ("\n(graphrec serve --busy-poll)" if busy_poll else "")
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
