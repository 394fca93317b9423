"""Generated requests against a running ``graphrec serve``: valid and invalid documents from
the schema, the persisted operations with generated variables, bodies that are not GraphQL
(the families of ``tests/api/generated_requests.py``). Prints answers by status and family,
what no answer may hold (a server error, a fault's traces), ``/health`` latency and the
server's memory while it runs, and whether the graph changed (counts and sample histories,
read beside the server). Serves a copy of the embedded store it is given:

    python benchmarks/reliability/fuzz.py --store $GRAPHREC_DATA_DIR/store --artifact MODEL
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent / "serve"))

from load import free_port  # noqa: E402
from served import copy_store, rss_mb, serve  # noqa: E402

from tests.api.generated_requests import Sent, problems, requests  # noqa: E402

ADMIN, READ = "fuzz-admin", "fuzz-read"


class Health(threading.Thread):
    """``GET /health`` every quarter second on its own connection: the slowest answer."""

    def __init__(self, port: int, pid: int) -> None:
        super().__init__(daemon=True)
        self.port, self.pid = port, pid
        self.took: list[float] = []
        self.failed = 0
        self.rss: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/health")
                ok = connection.getresponse().status == 200
                connection.close()
            except OSError:
                ok = False
            self.took.append(time.perf_counter() - started)
            self.failed += not ok
            self.rss.append(rss_mb(self.pid))


def graph_state(store: Path) -> tuple[Any, ...]:
    from graphrec.store import open_store

    graph = open_store(str(store), read_only=True)
    try:
        users = sorted(r["id"] for b in graph.stream("users") for r in b.to_pylist())[::997]
        return graph.counts(), [graph.recent_interactions(u, limit=100) for u in users[:20]]
    finally:
        graph.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an embedded store (copied)")
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()

    from hypothesis import HealthCheck, Phase, given, settings

    from graphrec.api.operations import Operations
    from graphrec.api.schema import schema

    with tempfile.TemporaryDirectory(prefix="graphrec-fuzz-") as folder:
        store = copy_store(args.store, Path(folder))
        port = free_port()
        log = open(Path(folder) / "server.log", "w")  # noqa: SIM115 - the server's whole life
        keys = {"GRAPHREC_API_KEY": ADMIN, "GRAPHREC_READ_KEY": READ}
        server = serve(store, args.artifact, port, keys, log)
        before = graph_state(store)
        health = Health(port, server.pid)
        health.start()
        statuses: Counter[tuple[str, int]] = Counter()
        found: list[str] = []
        slowest = [0.0, b""]
        connection = [http.client.HTTPConnection("127.0.0.1", port, timeout=60)]

        def send(sent: Sent) -> None:
            started = time.perf_counter()
            for attempt in range(2):
                try:
                    connection[0].request(sent.method, sent.path, sent.body, sent.headers)
                    answer = connection[0].getresponse()
                    body = answer.read()
                    break
                except (OSError, http.client.HTTPException):
                    connection[0].close()
                    connection[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt:
                        statuses[(sent.family, 0)] += 1
                        return
            took = time.perf_counter() - started
            if took > slowest[0]:
                slowest[:] = [took, sent.body[:120]]
            statuses[(sent.family, answer.status)] += 1
            found.extend(f"{p}: {sent.body[:160]!r}" for p in problems(answer.status, body))
            if answer.getheader("connection", "").lower() == "close":
                connection[0].close()
                connection[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        operations = {op.name: op.text for op in Operations.load()}
        run = settings(
            max_examples=args.requests,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(requests(schema.as_str(), operations, ADMIN, READ))(send))
        started = time.time()
        run()
        wall = time.time() - started
        health.stop.set()
        health.join()
        alive = server.poll() is None
        server.terminate()
        server.wait(timeout=60)
        after = graph_state(store)

        sent = sum(statuses.values())
        print(f"{sent:,} requests in {wall:.0f} s ({sent / wall:,.0f}/s); server alive: {alive}")
        families = sorted({f for f, _ in statuses})
        codes = sorted({c for _, c in statuses})
        print("family".ljust(18) + "".join(f"{c:>8}" for c in codes))
        for family in families:
            print(family.ljust(18) + "".join(f"{statuses[(family, c)]:>8}" for c in codes))
        print(f"answers with a server error or a fault's traces: {len(found)}")
        for line in found[:10]:
            print("  ", line)
        took = sorted(health.took)
        print(
            f"/health: {len(took)} checks, {health.failed} failed, p50 "
            f"{took[len(took) // 2] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms"
        )
        print(f"slowest request: {slowest[0] * 1000:.0f} ms ({slowest[1]!r})")
        print(
            f"server memory: {health.rss[0]:.0f} MB at the start, max {max(health.rss):.0f} "
            f"MB, {health.rss[-1]:.0f} MB at the end"
        )
        print(f"graph unchanged (counts, {len(before[1])} shoppers' histories): {before == after}")


if __name__ == "__main__":
    main()
