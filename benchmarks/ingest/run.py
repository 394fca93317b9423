"""Ingest and export figures on real data, with a naive baseline run side by side.

    python benchmarks/ingest/run.py [--data ../shared/data] [--baseline-rows 50000]

Prints one table and writes benchmarks/ingest/results.json. The baseline loads the first
``--baseline-rows`` Gowalla interactions the way a Neo4j-style loader would (``UNWIND $rows``
batches of 10k with ``MERGE`` per endpoint and ``CREATE`` per relationship) into the same embedded
store; the ratio compares relationships per second.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ladybug
from rich.console import Console
from rich.table import Table

from graphrec.data import load, read_source
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.store import open_store
from graphrec.store.cypher import statements

HERE = Path(__file__).resolve().parent
console = Console()


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    outcome = work()
    return outcome, time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_baseline(gowalla: Path, rows: int, folder: Path) -> dict[str, float]:
    parsed = read_source("lightgcn", gowalla)
    inter = parsed.batch.interactions.slice(0, rows).to_pylist()
    db = ladybug.Database(str(folder / "naive"), buffer_pool_size=512 * 1024 * 1024)
    conn = ladybug.Connection(db)
    for statement in statements("ladybug", "schema"):
        conn.execute(statement)
    query = (
        "UNWIND $rows AS row MERGE (u:User {id: row.user_id}) MERGE (i:Item {id: row.item_id}) "
        "CREATE (u)-[:INTERACTED {kind: row.kind, weight: row.weight, ts: row.ts, "
        "split: row.split}]->(i)"
    )
    started = time.perf_counter()
    for start in range(0, len(inter), 10_000):
        chunk = [
            {k: v for k, v in r.items() if k != "rating"} for r in inter[start : start + 10_000]
        ]
        conn.execute(query, {"rows": chunk})
    seconds = time.perf_counter() - started
    conn.close()
    db.close()
    return {"rows": len(inter), "seconds": seconds, "rels_per_s": len(inter) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    args = parser.parse_args()
    gowalla = args.data / "gowalla"
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, "
        f"Python {platform.python_version()}",
        "commit": subprocess.getoutput("git rev-parse --short HEAD"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = open_store(str(folder / "gowalla"))
        report, seconds = timed(lambda: load(store, "lightgcn", gowalla))
        n = report.rows["interactions"]
        results["gowalla_load"] = {"interactions": n, "seconds": seconds, "rels_per_s": n / seconds}
        again, seconds = timed(lambda: load(store, "lightgcn", gowalla))
        results["gowalla_reload"] = {"seconds": seconds, "changed": again.written.changed}
        snapshot, seconds = timed(lambda: export_snapshot(store))
        results["gowalla_export"] = {"seconds": seconds}
        _, seconds = timed(lambda: snapshot.save(folder / "snap"))
        results["gowalla_snapshot_save"] = {"seconds": seconds}
        edges, seconds = timed(lambda: bought_with_edges(snapshot, ["view", "click"], 50, 2))
        _, write_seconds = timed(lambda: store.replace_bought_with(edges))
        results["gowalla_bought_with"] = {
            "edges": edges.num_rows,
            "derive_seconds": seconds,
            "write_seconds": write_seconds,
        }
        store.close()

        for fmt, name in (("amazon", "amazon-beauty-2014"), ("movielens", "movielens-100k")):
            store = open_store(str(folder / name))
            report, seconds = timed(
                lambda fmt=fmt, name=name, store=store: load(store, fmt, args.data / name)
            )
            results[f"{name}_load"] = {"rows": report.rows, "seconds": seconds}
            store.close()

        results["baseline_unwind_merge"] = naive_baseline(gowalla, args.baseline_rows, folder)
    results["peak_rss_mb"] = peak_rss_mb()
    results["speedup_vs_baseline"] = (
        results["gowalla_load"]["rels_per_s"] / results["baseline_unwind_merge"]["rels_per_s"]
    )

    table = Table(title=f"ingest ({results['machine']}, commit {results['commit']})")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("target", justify="right")
    g = results
    table.add_row(
        "Gowalla load (1.03M interactions)", f"{g['gowalla_load']['seconds']:.2f} s", "<= 15 s"
    )
    table.add_row("  relationships/s", f"{g['gowalla_load']['rels_per_s']:,.0f}", "")
    table.add_row("Gowalla reload (no change)", f"{g['gowalla_reload']['seconds']:.2f} s", "")
    table.add_row("Gowalla export to snapshot", f"{g['gowalla_export']['seconds']:.2f} s", "<= 5 s")
    table.add_row(
        "BOUGHT_WITH derive + write",
        f"{g['gowalla_bought_with']['derive_seconds']:.2f} + "
        f"{g['gowalla_bought_with']['write_seconds']:.2f} s",
        "",
    )
    table.add_row(
        "Amazon Beauty load (catalogue + 198k)",
        f"{g['amazon-beauty-2014_load']['seconds']:.2f} s",
        "",
    )
    table.add_row("MovieLens 100k load", f"{g['movielens-100k_load']['seconds']:.2f} s", "")
    base = g["baseline_unwind_merge"]
    table.add_row(
        f"baseline UNWIND/MERGE ({base['rows']:,} rows)", f"{base['rels_per_s']:,.0f} rels/s", ""
    )
    table.add_row("speed-up over baseline", f"{g['speedup_vs_baseline']:.0f}x", "")
    table.add_row("peak RSS", f"{g['peak_rss_mb']:,.0f} MB", "")
    console.print(table)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
