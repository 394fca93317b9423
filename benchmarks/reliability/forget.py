"""A privacy delete's cost: deriving BOUGHT_WITH again for every item against deriving it for
the forgotten shopper's items only, on a copy of an embedded store. Both ways give the same
edges (checked for each shopper).

    python benchmarks/reliability/forget.py --store /tmp/dev/store --shoppers 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from served import copy_store

from graphrec.graph.derive import derive_bought_with, derive_bought_with_of, items_counted_for
from graphrec.store import GraphStore, open_store


def edges(store: GraphStore) -> list[tuple[str, str, float]]:
    rows = pa.Table.from_batches(list(store.stream("bought_with"))).to_pylist()
    return sorted((r["item_id"], r["other_id"], r["weight"]) for r in rows)


def busiest(store: GraphStore, count: int) -> list[str]:
    """Half the shoppers with the most interactions (the slowest to forget), half spread over
    the rest (the typical shopper)."""
    users = pa.Table.from_batches(list(store.stream("interactions"))).column("user_id")
    ranked = pa.table({"u": users}).group_by("u").aggregate([("u", "count")])
    names = ranked.sort_by([("u_count", "descending"), ("u", "ascending")]).column("u").to_pylist()
    top, rest = names[: count // 2], names[count // 2 :]
    step = max(1, len(rest) // max(1, count - len(top)))
    return top + rest[step // 2 :: step][: count - len(top)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an embedded store file")
    parser.add_argument("--shoppers", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(copy_store(args.store, Path(folder))))
        derive_bought_with(store)
        whole_s, touched_s = [], []
        print(f"{'shopper':<24}{'items':>7}{'every item s':>14}{'their items s':>15}{'ratio':>8}")
        for shopper in busiest(store, args.shoppers):
            counted = items_counted_for(store, shopper)
            store.delete_user(shopper)
            started = time.perf_counter()
            derive_bought_with_of(store, counted)
            touched = time.perf_counter() - started
            partial = edges(store)
            started = time.perf_counter()
            derive_bought_with(store)
            whole = time.perf_counter() - started
            assert partial == edges(store), f"{shopper}: the two ways differ"
            whole_s.append(whole)
            touched_s.append(touched)
            print(
                f"{shopper:<24}{len(counted):>7}{whole:>14.3f}{touched:>15.3f}"
                f"{whole / touched:>8.1f}"
            )
        whole_m, touched_m = statistics.median(whole_s), statistics.median(touched_s)
        print(f"{'median':<31}{whole_m:>14.3f}{touched_m:>15.3f}{whole_m / touched_m:>8.1f}")
        store.close()


if __name__ == "__main__":
    main()
