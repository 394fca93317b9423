"""Exploration replayed on a shop's own timestamps: how fast good new items are found, and what
exploring costs, for the bandit against uniform exploration and against none.

    python benchmarks/explore/replay.py SNAPSHOT [--days 30] [--shoppers 300] [--share 0.1]

SNAPSHOT is a ``graphrec export`` of a timestamped shop (Amazon Beauty). A GF-CF model is
trained on everything before the last ``--days`` days and served by graphrec's engine. Each day,
up to ``--shoppers`` of that day's shoppers get ``recommendations(k: 20)``; a shown item counts
as taken when the shopper has an interaction with it in the next 7 days (their held-out future).
Taken exploration items are reported back to the bandit as the events that name the answer
would be; then the day's real interactions are recorded, so the model's item-item part and the
counts follow the shop. An item arrives (in stock, ``created_at``) with its first interaction.

Per setting: **taken** (share of shown items taken, personalised and exploration slots apart),
and for the **good new items** (arrived during the replay, 5 or more interactions in it): the
share ever taken from an answer, and the median days from arrival to the first time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from tqdm import tqdm

from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.artifact import Artifact, load_artifact, save_artifact
from graphrec.models.base import History
from graphrec.serving.activity import DAY, ActivitySettings
from graphrec.serving.engine import Engine
from graphrec.serving.events import Event
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig
from graphrec.serving.vectors import model_neighbours, model_vectors

#: name -> (exploration share, bandit, age cut-off in days); the share is --share where given
SETTINGS = {
    "none": (0.0, False, 0.0),
    "uniform": (None, False, 0.0),
    "bandit": (None, True, 0.0),
    "uniform, new items in the draw (30 d)": (None, False, 30.0),
    "bandit, new items first (30 d)": (None, True, 30.0),
}
HORIZON = 7 * DAY
GOOD = 5


def empty_edges() -> tuple[pa.Table, pa.Table]:
    strings = pa.array([], pa.string())
    floats = pa.array([], pa.float64())
    bought = pa.table({"item_id": strings, "other_id": strings, "weight": floats})
    return bought, pa.table({"item_id": strings, "other_id": strings, "score": floats})


def past_of(snapshot: Snapshot, start: int) -> tuple[Snapshot, np.ndarray]:
    """The snapshot before ``start``, items' ``created_at`` their first interaction."""
    ts = snapshot.column("ts").astype(np.int64)
    first = np.full(snapshot.num_items, np.iinfo(np.int64).max)
    np.minimum.at(first, snapshot.column("item").astype(np.int64), ts)
    at = snapshot.items.schema.get_field_index("created_at")
    items = snapshot.items.set_column(at, "created_at", pa.array(first))
    past = dataclasses.replace(
        snapshot, items=items, interactions=snapshot.interactions.filter(pa.array(ts < start))
    )
    return past, first


def train(past: Snapshot, folder: Path) -> Artifact:
    users, items = past.column("user"), past.column("item")
    everything = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, items)), shape=(past.num_users, past.num_items)
    )
    empty = sp.csr_matrix(everything.shape, dtype=np.float32)
    split = dataclasses.replace(
        make_split(past, "temporal"), train=everything, valid=empty, test=empty
    )
    model = MODELS["gfcf"](beta=0.5, dim=128, recency_half_life=8, device="cpu")
    model.use_snapshot(past)
    model.fit(split)
    return load_artifact(save_artifact(folder, model, past, History(), {}, {"kind": "all"}))


def engine_for(artifact: Artifact, past: Snapshot, config: EngineConfig) -> Engine:
    live = LiveGraph(past, *empty_edges(), activity=config.activity)
    parts = artifact.serving_parts()
    items, known_items, users, known_users = model_vectors(artifact, past, live, parts)
    engine = Engine(
        live, items, users, known_users, config, neighbours=model_neighbours(artifact, parts, live),
        half_life=parts.half_life, known_items=known_items,
    )  # fmt: skip
    for index in np.flatnonzero(~known_items).tolist():  # placed by their titles' look-alikes
        vector = engine.new_items.place(index, items, engine.look_alike_items())
        if vector is not None:
            engine.set_vector(index, vector)
    return engine


def replay(snapshot: Snapshot, artifact: Artifact, past: Snapshot, first: np.ndarray,
           start: int, args: argparse.Namespace, setting: tuple) -> dict:  # fmt: skip
    share, bandit, age = setting
    share = args.share if share is None else share
    config = EngineConfig(
        explore=share, explore_bandit=bandit, explore_max_age_days=age, control_share=0.0,
        fresh_days=0.0, activity=ActivitySettings(clock="data"),
    )  # fmt: skip
    engine = engine_for(artifact, past, config)
    live = engine.live
    live.in_stock[:] = first < start
    users = snapshot.users.column("id").to_pylist()
    kinds: list[str] = snapshot.meta["kinds"]
    ts = snapshot.column("ts").astype(np.int64)
    later = np.flatnonzero(ts >= start)
    later = later[np.argsort(ts[later], kind="stable")]
    user, item, kind = (
        snapshot.column(c)[later].astype(np.int64) for c in ("user", "item", "kind")
    )
    when = ts[later]
    future: dict[int, list[tuple[int, int]]] = {}
    for u, i, t in zip(user.tolist(), item.tolist(), when.tolist(), strict=True):
        future.setdefault(u, []).append((t, i))
    counts = np.bincount(item, minlength=snapshot.num_items)
    good = np.flatnonzero((first >= start) & (counts >= GOOD))
    found: dict[int, float] = {}
    shown = {"personalized": 0, "exploration": 0}
    taken = {"personalized": 0, "exploration": 0}
    rng = np.random.default_rng(0)
    for day in range(args.days):
        morning = start + day * DAY
        today = (when >= morning) & (when < morning + DAY)
        shoppers = np.unique(user[today])
        if len(shoppers) > args.shoppers:
            shoppers = rng.choice(shoppers, args.shoppers, replace=False)
        live.activity.data_now = max(live.activity.data_now, morning)
        for u in shoppers.tolist():
            ahead = {i for t, i in future.get(u, []) if morning <= t < morning + HORIZON}
            answer = engine.recommend(users[u], 20)
            for item_id, slot in zip(answer.item_ids, answer.slots, strict=True):
                if slot not in shown:
                    continue
                index = live.item_index[item_id]
                shown[slot] += 1
                if index in ahead:
                    taken[slot] += 1
                    if slot == "exploration":
                        engine.bandit.outcome(answer.recommendation_id, index)
                    if first[index] >= start and index not in found:
                        found[index] = (morning - first[index]) / DAY
        for u, i, c, t in zip(user[today], item[today], kind[today], when[today], strict=True):
            live.in_stock[i] = True
            live.record(users[u], Event(int(i), kinds[c], int(t)))
    good_found = [found[i] for i in good.tolist() if i in found]
    return {
        "taken_personalized": taken["personalized"] / max(shown["personalized"], 1),
        "taken_exploration": taken["exploration"] / max(shown["exploration"], 1),
        "shown_exploration": shown["exploration"],
        "good_new_items": len(good),
        "good_found": len(good_found) / max(len(good), 1),
        "median_days_to_found": float(np.median(good_found)) if good_found else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shoppers", type=int, default=300, help="answered per day, at most")
    parser.add_argument("--share", type=float, default=0.1, help="exploration share")
    parser.add_argument("--out", type=Path, default=None, help="a JSON file for the figures")
    args = parser.parse_args()
    snapshot = Snapshot.load(args.snapshot)
    start = int(snapshot.column("ts").max()) - args.days * DAY
    past, first = past_of(snapshot, start)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        artifact = train(past, Path(folder))
        print(f"GF-CF trained on the past in {time.perf_counter() - began:.0f} s")
        results = {
            name: replay(snapshot, artifact, past, first, start, args, setting)
            for name, setting in tqdm(SETTINGS.items(), desc="settings")
        }
    print(f"\n{args.days} days, up to {args.shoppers} shoppers a day, k = 20, "
          f"exploration share {args.share} ({time.perf_counter() - began:.0f} s)\n")  # fmt: skip
    print("| setting | taken, personalised | taken, exploration | good new items found "
          "| median days to found |\n|---|---:|---:|---:|---:|")  # fmt: skip
    for name, r in results.items():
        days = r["median_days_to_found"]
        print(f"| {name} | {r['taken_personalized']:.4f} | {r['taken_exploration']:.4f} | "
              f"{r['good_found']:.3f} of {r['good_new_items']} | "
              f"{'—' if days is None else f'{days:.0f}'} |")  # fmt: skip
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
