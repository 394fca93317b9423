"""Replay a shop's own timestamps through the serving code: what "trending" and fresh items get
over simulated time, with and without decay and freshness.

    python benchmarks/replay/run.py SNAPSHOT [--days 60] [--k 10] [--out DIR]

SNAPSHOT is a ``graphrec export`` of a timestamped shop (Amazon Beauty: see the README beside
this file). Everything before the last ``--days`` days is the past the server loads; then the
days are revealed one at a time. At the start of each day a new shopper's answer is taken (the
cold-start list: the most trending in-stock items, through the rules and freshness, exactly
as ``recommendations`` answers it), then that day's interactions are recorded (each changes the
counts at once, as ``recordInteraction`` does). An item arrives (is in stock) at its first
interaction, which is also its ``created_at``: the Amazon data has no listing dates.

Per setting, over the days:
- next-day hits: the share of the day's interactions whose item was on that morning's list;
- fresh share: the share of listed items younger than 30 days (by arrival);
- age: the median age of listed items, in days;
- distinct: how many different items were listed over the whole replay.
A plot of the daily hits and fresh shares is written beside the JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from graphrec.graph.snapshot import Snapshot
from graphrec.serving.activity import DAY, ActivitySettings
from graphrec.serving.engine import Engine
from graphrec.serving.events import Event
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig

#: name -> (trending half-life in days, fresh days, fresh boost); 1e6 days: no decay at all
SETTINGS = {
    "no decay (all-time counts)": (1e6, 0.0, 0.0),
    "decay 7 d": (7.0, 0.0, 0.0),
    "decay 7 d + fresh 30 d, boost 0.3 (defaults)": (7.0, 30.0, 0.3),
    "decay 7 d + fresh 30 d, boost 1.0": (7.0, 30.0, 1.0),
}
FRESH_DAYS = 30


def empty_edges() -> tuple[pa.Table, pa.Table]:
    bought = pa.table({"item_id": pa.array([], pa.string()), "other_id": pa.array([], pa.string()),
                       "weight": pa.array([], pa.float64())})  # fmt: skip
    similar = pa.table({"item_id": pa.array([], pa.string()), "other_id": pa.array([], pa.string()),
                        "score": pa.array([], pa.float64())})  # fmt: skip
    return bought, similar


def replay(snapshot: Snapshot, days: int, k: int, setting: tuple[float, float, float]) -> dict:
    half_life, fresh_days, boost = setting
    ts = snapshot.column("ts").astype(np.int64)
    start = int(ts.max()) - days * DAY
    past = ts < start
    first = np.full(snapshot.num_items, np.iinfo(np.int64).max)
    np.minimum.at(first, snapshot.column("item").astype(np.int64), ts)
    items = snapshot.items.set_column(
        snapshot.items.schema.get_field_index("created_at"), "created_at", pa.array(first)
    )
    loaded = dataclasses.replace(
        snapshot, items=items, interactions=snapshot.interactions.filter(pa.array(past))
    )
    activity = ActivitySettings(clock="data", trending_half_life_days=half_life)
    live = LiveGraph(loaded, *empty_edges(), activity=activity)
    live.in_stock[:] = first < start  # an item arrives with its first interaction
    config = EngineConfig(
        explore=0.0, control_share=0.0, fresh_days=fresh_days, fresh_boost=boost, activity=activity
    )
    engine = Engine(live, np.zeros((live.num_items, 1)), np.zeros((len(live.user_ids), 1)),
                    config=config)  # fmt: skip
    users = snapshot.users.column("id").to_pylist()
    kinds: list[str] = snapshot.meta["kinds"]
    later = np.flatnonzero(~past)
    later = later[np.argsort(ts[later], kind="stable")]
    user, item, kind = (snapshot.column(c)[later] for c in ("user", "item", "kind"))
    when = ts[later]
    hits, fresh, ages, shown = [], [], [], set()
    for day in range(days):
        morning = start + day * DAY
        answer = engine.recommend("replay-newcomer", k).item_ids
        listed = np.array([live.item_index[i] for i in answer], dtype=np.int64)
        shown.update(listed.tolist())
        age = (morning - first[listed]) / DAY
        fresh.append(float((age < FRESH_DAYS).mean()) if len(listed) else 0.0)
        ages.append(float(np.median(age)) if len(listed) else 0.0)
        today = (when >= morning) & (when < morning + DAY)
        chosen = item[today]
        hits.append(float(np.isin(chosen, listed).mean()) if len(chosen) else 0.0)
        for u, i, c, t in zip(user[today], chosen, kind[today], when[today], strict=True):
            live.in_stock[i] = True
            live.record(users[u], Event(int(i), kinds[c], int(t)))
            live.changed()
    return {
        "next_day_hits": float(np.mean(hits)),
        "fresh_share": float(np.mean(fresh)),
        "median_age_days": float(np.median(ages)),
        "distinct_items": len(shown),
        "daily_hits": hits,
        "daily_fresh": fresh,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/replay"))
    args = parser.parse_args()
    snapshot = Snapshot.load(args.snapshot)
    results = {}
    began = time.perf_counter()
    for name, setting in tqdm(SETTINGS.items(), desc="settings"):
        results[name] = replay(snapshot, args.days, args.k, setting)
    print(f"\n{args.days} days replayed, a list of {args.k} each morning "
          f"({time.perf_counter() - began:.0f} s)\n")  # fmt: skip
    print("| setting | next-day hits | fresh share | median age (days) | distinct items |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['next_day_hits']:.4f} | {r['fresh_share']:.3f} | "
              f"{r['median_age_days']:.0f} | {r['distinct_items']} |")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"results-{args.snapshot.name}"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out / f"{stem}.png")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, r in results.items():
        top.plot(r["daily_hits"], label=name)
        bottom.plot(r["daily_fresh"], label=name)
    top.set_ylabel("next-day hits")
    bottom.set_ylabel("fresh share of the list")
    bottom.set_xlabel("day of the replay")
    top.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
