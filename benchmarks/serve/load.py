"""The bounded load generator of the serving benchmarks: keep-alive HTTP/1.1 connections that
send the shop page's persisted operation, open loop (a fixed rate, latency from each request's
scheduled time) or closed loop (one request in flight per connection); and the helpers that
start, wait for and read a server."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import socket
import subprocess
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
