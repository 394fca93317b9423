"""How the BOUGHT_WITH window changes the edges, and what it costs to derive them.

    python benchmarks/ingest/bought_with_window.py SNAPSHOT [--days 0,7,30,90]

SNAPSHOT is a ``graphrec export``. For each window (0: every pair, however far apart) it prints
the edges kept (top 50 per item, at least 2 shoppers, views and clicks left out, as
``graphrec derive`` does) and the seconds the derivation took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from graphrec.graph.derive import DAY, bought_with_edges
from graphrec.graph.snapshot import Snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--days", default="0,7,30,90")
    args = parser.parse_args()
    snapshot = Snapshot.load(args.snapshot)
    print("| window (days) | edges | seconds |\n|---:|---:|---:|")
    for days in (float(d) for d in args.days.split(",")):
        began = time.perf_counter()
        edges = bought_with_edges(snapshot, ["view", "click"], 50, 2, window=int(days * DAY))
        print(f"| {days:g} | {edges.num_rows:,} | {time.perf_counter() - began:.2f} |")


if __name__ == "__main__":
    main()
