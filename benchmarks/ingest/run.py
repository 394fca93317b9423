"""Ingest and export figures on real data, with a naive baseline run side by side.

    python benchmarks/ingest/run.py [--data ../shared/data] [--baseline-rows 50000] [--neo4j URI]

Prints one table and writes benchmarks/ingest/results.json. With ``--neo4j URI`` the same steps
run on that Neo4j too (its database is cleared first), in a column beside the embedded store's.
The baseline loads the first ``--baseline-rows`` Gowalla interactions the way a Neo4j-style loader
would (``UNWIND $rows`` batches of 10k with ``MERGE`` per endpoint and ``CREATE`` per relationship)
into the same embedded store; the ratio compares relationships per second.
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
from graphrec.store import GraphStore, open_store
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


def measure(open_for: Callable[[str], GraphStore], data: Path, folder: Path) -> dict[str, Any]:
    """Every figure on one backend; ``open_for(name)`` gives an empty store for a dataset."""
    gowalla = data / "gowalla"
    results: dict[str, Any] = {}
    store = open_for("gowalla")
    report, seconds = timed(lambda: load(store, "lightgcn", gowalla))
    n = report.rows["interactions"]
    results["gowalla_load"] = {"interactions": n, "seconds": seconds, "rels_per_s": n / seconds}
    again, seconds = timed(lambda: load(store, "lightgcn", gowalla))
    results["gowalla_reload"] = {"seconds": seconds, "changed": again.written.changed}
    snapshot, seconds = timed(lambda: export_snapshot(store))
    results["gowalla_export"] = {"seconds": seconds}
    _, seconds = timed(lambda: snapshot.save(folder / f"snap-{time.monotonic_ns()}"))
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
        store = open_for(name)
        report, seconds = timed(
            lambda fmt=fmt, name=name, store=store: load(store, fmt, data / name)
        )
        results[f"{name}_load"] = {"rows": report.rows, "seconds": seconds}
        store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument(
        "--neo4j",
        metavar="URI",
        help="also measure this Neo4j (credentials from GRAPHREC_NEO4J_*); ITS DATABASE IS CLEARED",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, "
        f"Python {platform.python_version()}",
        "commit": subprocess.getoutput("git rev-parse --short HEAD"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["embedded"] = measure(
            lambda name: open_store(str(folder / name)), args.data, folder
        )
        if args.neo4j:

            def cleared(name: str) -> GraphStore:
                store = open_store(args.neo4j)
                store.clear()
                return store

            results["neo4j"] = measure(cleared, args.data, folder)
        results["baseline_unwind_merge"] = naive_baseline(
            args.data / "gowalla", args.baseline_rows, folder
        )
    results["peak_rss_mb"] = peak_rss_mb()
    embedded = results["embedded"]
    results["speedup_vs_baseline"] = (
        embedded["gowalla_load"]["rels_per_s"] / results["baseline_unwind_merge"]["rels_per_s"]
    )
    backends = [b for b in ("embedded", "neo4j") if b in results]
    table = Table(title=f"ingest ({results['machine']}, commit {results['commit']})")
    table.add_column("measure")
    for backend in backends:
        table.add_column(backend, justify="right")
    if "neo4j" in results:
        table.add_column("neo4j / embedded", justify="right")

    def row(label: str, figure: Callable[[dict[str, Any]], float], unit: str = "s") -> None:
        values = [figure(results[b]) for b in backends]
        cells = [f"{v:,.0f} {unit}" if unit != "s" else f"{v:.2f} s" for v in values]
        if len(values) == 2:
            cells.append(f"{values[1] / values[0]:.2f}x")
        table.add_row(label, *cells)

    row("Gowalla load (1.03M interactions)", lambda r: r["gowalla_load"]["seconds"])
    row("  relationships/s", lambda r: r["gowalla_load"]["rels_per_s"], "rels/s")
    row("Gowalla reload (no change)", lambda r: r["gowalla_reload"]["seconds"])
    row("Gowalla export to snapshot", lambda r: r["gowalla_export"]["seconds"])
    row("BOUGHT_WITH derive", lambda r: r["gowalla_bought_with"]["derive_seconds"])
    row("BOUGHT_WITH write (1.8M edges)", lambda r: r["gowalla_bought_with"]["write_seconds"])
    row("Amazon Beauty load (catalogue + 198k)", lambda r: r["amazon-beauty-2014_load"]["seconds"])
    row("MovieLens 100k load", lambda r: r["movielens-100k_load"]["seconds"])
    console.print(table)
    base = results["baseline_unwind_merge"]
    console.print(
        f"baseline UNWIND/MERGE into the embedded store ({base['rows']:,} rows): "
        f"{base['rels_per_s']:,.0f} rels/s; the embedded bulk path is "
        f"{results['speedup_vs_baseline']:.0f}x that; peak RSS {results['peak_rss_mb']:,.0f} MB"
    )
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
