"""Memory of ``graphrec serve --workers N``: each worker's resident and proportional set size
(PSS: pages shared with other processes counted in part), once every worker is ready.

    python benchmarks/serve/memory.py --store neo4j://127.0.0.1:7687 --workers 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import free_port, wait_ready  # noqa: E402


def sizes(pid: int) -> dict[str, int]:
    """Kilobytes: Rss, Pss, Pss_Anon, Pss_File of the process."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        out[name.strip()] = int(value.split()[0])
    return out


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = [int(c) for c in children]
    return [p for p in found if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_text()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after ready")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "GRAPHREC_STORE": args.store}
    # as a module: run from a checkout, that checkout's code serves (a worktree of an older one)
    command = [sys.executable, "-m", "graphrec.cli", "serve", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, server)
        time.sleep(args.settle)
        pids = workers_of(server.pid) if args.workers > 1 else [server.pid]
        total = {"Rss": 0, "Pss": 0, "Pss_Anon": 0, "Pss_File": 0}
        for pid in pids:
            size = sizes(pid)
            for key in total:
                total[key] += size.get(key, 0)
            print(
                f"worker {pid}: RSS {size['Rss'] / 1024:7.0f} MB  PSS {size['Pss'] / 1024:7.0f} MB"
                f"  (anonymous {size.get('Pss_Anon', 0) / 1024:6.0f} MB,"
                f" files {size.get('Pss_File', 0) / 1024:6.0f} MB)"
            )
        mb = {key: value / 1024 for key, value in total.items()}
        print(
            f"{len(pids)} worker(s): RSS {mb['Rss']:.0f} MB, PSS {mb['Pss']:.0f} MB "
            f"(anonymous {mb['Pss_Anon']:.0f} MB, files {mb['Pss_File']:.0f} MB)"
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
