"""Milliseconds per ``recommendations(k: 20)`` answer in one process, no HTTP: the compiled
plan over shoppers never answered before (the answer cache off), best of several rounds."""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import QUERY  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--shoppers", type=int, default=3000, help="per round")
    parser.add_argument(
        "--without-evidence",
        action="store_true",
        help="leave out the reasons found on the graph (each item keeps its popularity "
        "reason): the answers are no longer the product's; it shows what those reasons cost",
    )
    args = parser.parse_args()

    import pyarrow.parquet as pq
    import torch
    from threadpoolctl import threadpool_limits

    from graphrec.api.app import App
    from graphrec.serving.engine import Engine
    from graphrec.serving.service import Service
    from graphrec.store import open_store

    if args.without_evidence:
        decide = Engine.decide
        Engine.decide = lambda self, user, recent, *rest, **named: decide(  # type: ignore[method-assign]
            self, user, [], *rest, **named
        )

    threadpool_limits(1)  # as `graphrec serve` runs
    torch.set_num_threads(1)
    service = Service.open(open_store(args.store), args.artifact)
    service.engine.config.answer_ttl_s = 0  # every answer made afresh
    fast = App(service).fast
    assert fast is not None
    gc.collect()
    gc.freeze()  # as `graphrec serve` does after loading
    users = pq.read_table(args.artifact / "snapshot" / "users.parquet").column("id").to_pylist()
    random.Random(0).shuffle(users)
    warm = 300
    needed = warm + args.rounds * args.shoppers
    if needed > len(users):
        sys.exit(f"{needed} shoppers needed, the artifact has {len(users)}: lower --shoppers")
    variables = [{"user": u, "k": 20} for u in users[:needed]]
    bodies = [orjson.dumps({"query": QUERY, "variables": v}) for v in variables]
    for body in bodies[:warm]:
        fast.try_execute(body)
    rounds = []
    for r in range(args.rounds):
        chunk = bodies[warm + r * args.shoppers : warm + (r + 1) * args.shoppers]
        started = time.perf_counter()
        for body in chunk:
            if fast.try_execute(body) is None:
                sys.exit("the compiled plan did not answer")
        rounds.append((time.perf_counter() - started) / len(chunk) * 1000)
    print("ms per answer, each round:", " ".join(f"{x:.3f}" for x in rounds))
    print(f"best {min(rounds):.3f} ms per answer ({1000 / min(rounds):,.0f} answers/s of one core)")


if __name__ == "__main__":
    main()
