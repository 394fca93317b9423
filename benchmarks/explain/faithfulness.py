"""Do the reasons name what carried the score? Measured on a served model, side by side: reasons
chosen by the strongest edge (in priority order) against reasons chosen by contribution.

    python benchmarks/explain/faithfulness.py --store STORE --artifact MODEL [--shoppers 2000]

For sampled shoppers, each personalised pick of ``recommendations(k: 20)`` (no exploration, no
control group) is explained, and what each of the shopper's recent items adds to the pick's
score is computed (graphrec/serving/contributions.py). Reported per way of choosing:

- top 1 / top 3: the share of picks whose first reason names the recent item that adds most
  (one of the three that add most), among picks whose first reason names a recent item;
- popular only: the share of picks whose reasons are only popularity or trending, and of those
  the share the shopper's items still added to (history drove them);
- "because" first: the share of picks whose first reason is "Because you ..." (the item that
  adds most has no relationship to the pick; the other first reasons are paths of the graph);
- twice: reasons stating a fact already stated (bought with X, then shoppers of X);
- one shopper: reasons counting a single shopper.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

HISTORY = {
    "BOUGHT_WITH",
    "SIMILAR_SHOPPERS",
    "SIMILAR_ITEM",
    "SAME_BRAND",
    "SAME_CATEGORY",
    "BECAUSE",
}


def measure(service, users: list[str], k: int, attribute: bool) -> dict:  # type: ignore[no-untyped-def]
    from graphrec.serving.contributions import contributions
    from graphrec.serving.results import Strategy

    engine = service.engine
    engine.config = dataclasses.replace(
        engine.config, attribute_reasons=attribute, control_share=0.0, explore=0.0
    )
    named = top1 = top3 = popular_only = driven = twice = single = picks = because = 0
    began = time.perf_counter()
    for user_id in tqdm(users, desc="attributed" if attribute else "by edge", leave=False):
        answer = engine.recommend(user_id, k)
        if answer.strategy is not Strategy.PERSONALIZED or not answer.items:
            continue
        user = engine.live.user(user_id)
        _, recent, _ = engine.shopper_events.of(user)
        sources = [engine.live.item_ids[i] for i in recent.items]
        items = np.array([engine.item_index(r.item.id) for r in answer.items])
        parts = contributions(engine, user, recent, items)
        for row, pick in enumerate(answer.items):
            picks += 1
            kinds = [r.kind.name for r in pick.reasons]
            facts = [
                (r.kind.name, r.path.nodes[1].id if len(r.path.nodes) > 2 else "")
                for r in pick.reasons
            ]
            sources_said = [s for kind, s in facts if kind in ("BOUGHT_WITH", "SIMILAR_SHOPPERS")]
            twice += len(sources_said) - len(set(sources_said))
            single += sum(
                r.kind.name in ("BOUGHT_WITH", "SIMILAR_SHOPPERS") and r.support < 2
                for r in pick.reasons
            )
            if not any(kind in HISTORY for kind in kinds):
                popular_only += 1
                driven += bool(len(sources) and parts[row].max() > 0)
                continue
            first = next(r for r in pick.reasons if r.kind.name in HISTORY)
            because += first.kind.name == "BECAUSE"
            if len(sources) == 0:
                continue
            named += 1
            order = np.argsort(-parts[row], kind="stable")
            at = sources.index(first.path.nodes[1].id)
            top1 += parts[row, at] >= parts[row, order[0]]  # ties count as the top
            top3 += parts[row, at] >= parts[row, order[min(2, len(order) - 1)]]
    return {
        "picks": picks,
        "top1": top1 / max(named, 1),
        "top3": top3 / max(named, 1),
        "popular_only": popular_only / max(picks, 1),
        "because_first": because / max(picks, 1),
        "popular_only_history_added": driven / max(popular_only, 1),
        "stated_twice": twice,
        "one_shopper": single,
        "seconds": time.perf_counter() - began,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True, type=Path)
    parser.add_argument("--shoppers", type=int, default=2000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None, help="a JSON file for the figures")
    args = parser.parse_args()

    from graphrec.serving.service import Service
    from graphrec.store import open_store

    service = Service.open(open_store(args.store, read_only=True), args.artifact)
    users = [u for u in service.engine.live.user_ids if u]
    random.Random(0).shuffle(users)
    users = users[: args.shoppers]
    results = {
        "strongest edge, priority order": measure(service, users, args.k, attribute=False),
        "by contribution": measure(service, users, args.k, attribute=True),
    }
    service.close()
    print(f"\n{args.artifact.name}: {len(users)} shoppers, k = {args.k}\n")
    print("| reasons chosen by | picks | top 1 | top 3 | popular only | ... history added "
          "| \"because\" first | stated twice | one shopper |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['picks']} | {r['top1']:.3f} | {r['top3']:.3f} | "
              f"{r['popular_only']:.3f} | {r['popular_only_history_added']:.3f} | "
              f"{r['because_first']:.3f} | "
              f"{r['stated_twice']} | {r['one_shopper']} |")  # fmt: skip
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
