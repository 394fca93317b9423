"""Serving with each ``GRAPHREC_NEW_ITEM_TEXT``: how long a start takes (the first with
sentences encodes the version's titles; later ones map them from the cache), how long placing
a new item takes, and the titles of the known items it is placed most like.

    python benchmarks/serve/new_item_text.py --store STORE --artifact MODEL_DIR

It writes two items to the store per setting: run it on a copy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from graphrec.serving.item_writes import ItemInput
from graphrec.serving.options import EngineConfig
from graphrec.serving.service import Service
from graphrec.store import open_store

TITLES = ("Eyelash lengthening wand, black", "Moisturising night balm for dry skin")


def look_alikes(service: Service, item_id: str, k: int = 3) -> list[str]:
    """The titles of the known items that ``item_id`` is placed most like, heaviest first."""
    engine = service.engine
    row = engine.new_items.items.tolist().index(engine.live.item_index[item_id])
    order = engine.new_items.weights[row].argsort()[::-1][:k]
    return [engine.live.titles[int(engine.new_items.neighbours[row][i])] or "" for i in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True, type=Path)
    args = parser.parse_args()
    store = open_store(args.store)
    cache = Path(tempfile.mkdtemp())  # a fresh cache: the first start with sentences encodes
    for run, text in enumerate(["words", "sentences", "sentences", "both"]):
        started = time.perf_counter()
        config = EngineConfig(new_item_text=text)
        service = Service.open(store, args.artifact, config=config, cache_dir=cache)
        opened = time.perf_counter() - started
        placed = []
        for n, title in enumerate(TITLES):
            started = time.perf_counter()
            service.upsert_item(ItemInput(f"new-{run}-{n}", title=title))
            placed.append(time.perf_counter() - started)
        print(
            f"{text:9s}  start {opened:5.1f} s  new items "
            + ", ".join(f"{1000 * s:.0f} ms" for s in placed)
        )
        for n, title in enumerate(TITLES):
            print(f"    {title!r} placed like {look_alikes(service, f'new-{run}-{n}')}")
        service.close()


if __name__ == "__main__":
    main()
