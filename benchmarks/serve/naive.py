"""The baseline that benchmarks/serve/run.py measures beside graphrec: plain Strawberry on
uvicorn, one resolver doing a torch top-k over the same model's vectors, no reasons, no filters,
no caches (the set-up measured at 232 requests/s, p99 128 ms, before graphrec had its own).

    python benchmarks/serve/naive.py ARTIFACT PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

import strawberry
import torch
import uvicorn
from strawberry.asgi import GraphQL

from graphrec.models.artifact import load_artifact

artifact = load_artifact(Path(sys.argv[1]), device="cpu")
model = artifact.model
users = {u: i for i, u in enumerate(artifact.snapshot.users.column("id").to_pylist())}
items = artifact.snapshot.items.column("id").to_pylist()
titles = artifact.snapshot.items.column("title").to_pylist()
user_vectors = model.user_vectors()  # type: ignore[attr-defined]
item_vectors = model.item_vectors()


@strawberry.type
class Item:
    id: str
    title: str | None


@strawberry.type
class Rec:
    item: Item
    score: float
    rank: int


@strawberry.type
class Query:
    @strawberry.field
    def recommendations(self, user_id: str, k: int = 20) -> list[Rec]:
        vector = user_vectors[users.get(user_id, 0)]
        top = torch.topk(item_vectors @ vector, k)
        return [
            Rec(item=Item(id=items[i], title=titles[i]), score=float(s), rank=r + 1)
            for r, (s, i) in enumerate(zip(top.values.tolist(), top.indices.tolist(), strict=True))
        ]


torch.set_num_threads(1)
app = GraphQL(strawberry.Schema(query=Query))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
