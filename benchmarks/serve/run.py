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
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from load import (  # noqa: E402
    HERE,
    NAIVE_QUERY,
    QUERY,
    free_port,
    load,
    request_bytes,
    wait_ready,
)

#: The p99 target at 1,000 requests/s.
TARGET_P99_MS = 15.0


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
