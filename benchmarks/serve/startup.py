"""Seconds from starting ``graphrec serve`` to its first 200 on ``/ready``, per store, the stores
alternating round by round.

    python benchmarks/serve/startup.py --artifact ARTIFACT --store /tmp/dev/store \
        --store neo4j://127.0.0.1:7688 [--rounds 2]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

GRAPHREC = Path(sys.executable).parent / "graphrec"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seconds_to_ready(store: str, artifact: str, limit: float = 300.0) -> float:
    port = free_port()
    command = [str(GRAPHREC), "serve", "--store", store, "--artifact", artifact]
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < limit:
            if server.poll() is not None:
                raise SystemExit(f"graphrec serve --store {store} exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"graphrec serve --store {store} was not ready within {limit:.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--store", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {store: [] for store in args.store}
    for _ in range(args.rounds):
        for store in args.store:
            figures[store].append(seconds_to_ready(store, args.artifact))
            print(f"{store}: ready after {figures[store][-1]:.1f} s", flush=True)
    for store, seconds in figures.items():
        print(f"{store}: min {min(seconds):.1f} s, max {max(seconds):.1f} s over {len(seconds)}")


if __name__ == "__main__":
    main()
