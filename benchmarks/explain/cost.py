"""What choosing reasons by contribution costs an answer: milliseconds per
``recommendations(k: 20)`` with its reasons as objects, attribution off and on, alternately.

    python benchmarks/explain/cost.py --store STORE --artifact MODEL [--shoppers 3000]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True, type=Path)
    parser.add_argument("--shoppers", type=int, default=3000)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from graphrec.serving.service import Service
    from graphrec.store import open_store

    threadpool_limits(1)  # as `graphrec serve` runs
    service = Service.open(open_store(args.store, read_only=True), args.artifact)
    engine = service.engine
    users = [u for u in engine.live.user_ids if u]
    random.Random(0).shuffle(users)
    users = users[: args.shoppers]
    timings: dict[bool, list[float]] = {False: [], True: []}
    for attribute in (False, True) * 3:
        engine.config = dataclasses.replace(engine.config, attribute_reasons=attribute)
        began = time.perf_counter()
        for user in users:
            engine.recommend(user, 20)
        timings[attribute].append((time.perf_counter() - began) / len(users) * 1000)
    service.close()
    off, on = min(timings[False]), min(timings[True])
    print(f"ms per answer, best of 3: by edge {off:.3f}, by contribution {on:.3f} "
          f"({on / off:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
