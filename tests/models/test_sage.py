"""GraphSAGE embeds items it never saw interactions for, from title, category and brand."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.evaluation import evaluate
from graphrec.graph.snapshot import Snapshot, export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import GraphSAGE, Random
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import interactions_table, served_config

SAGE = {
    "hidden": 16,
    "lr": 0.02,
    "batch_size": 128,
    "epochs": 30,
    "eval_every": 30,
    "num_negatives": 16,
    "in_batch": 32,
    "title_buckets": 256,
    "device": "cpu",
}


def two_community_shop(store: GraphStore) -> Snapshot:
    """Users 0-19 buy red items, users 20-39 blue ones; the items say which they are."""
    rng = np.random.default_rng(0)
    items = [f"{colour}{i}" for colour in ("red", "blue") for i in range(15)]
    titles = [
        f"{'Crimson ruby rose' if i.startswith('red') else 'Azure ocean sky'} item {i}"
        for i in items
    ]
    rows = []
    for user in range(40):
        colour = "red" if user < 20 else "blue"
        for i in rng.choice(15, 6, replace=False):
            rows.append((f"u{user}", f"{colour}{i}", "purchase", 5.0, None, int(rng.integers(1e6))))
    store.write(
        GraphBatch(
            users=pa.table({"id": [f"u{u}" for u in range(40)]}),
            items=pa.table(
                {
                    "id": items,
                    "title": titles,
                    "price": pa.nulls(30, pa.float64()),
                    "in_stock": pa.nulls(30, pa.bool_()),
                    "created_at": pa.nulls(30, pa.int64()),
                }
            ),
            categories=pa.table({"id": ["Red", "Blue"], "name": ["Red", "Blue"]}),
            brands=pa.table({"id": ["redco", "blueco"], "name": ["RedCo", "BlueCo"]}),
            item_categories=pa.table(
                {
                    "item_id": items,
                    "category_id": ["Red" if i.startswith("red") else "Blue" for i in items],
                }
            ),
            item_brands=pa.table(
                {
                    "item_id": items,
                    "brand_id": ["redco" if i.startswith("red") else "blueco" for i in items],
                }
            ),
            interactions=interactions_table(rows),
        )
    )
    return export_snapshot(store)


def test_cold_items_ranked_far_above_random(embedded: GraphStore) -> None:
    snapshot = two_community_shop(embedded)
    split = make_split(snapshot, "cold", seed=1)
    assert split.test_candidates is not None and len(split.test_candidates) == 3
    assert split.train.multiply(split.test).nnz == 0
    assert not np.asarray(split.train[:, split.test_candidates].sum())  # never seen in training
    sage = GraphSAGE(**SAGE)
    sage.use_snapshot(snapshot)
    sage.fit(split)
    floor = Random()
    floor.fit(split)
    ours, chance = evaluate(sage, split, ks=(1, 2)), evaluate(floor, split, ks=(1, 2))
    assert ours["recall@2"] > chance["recall@2"] + 0.2
    # The best new item for every shopper who bought one is of the shopper's colour.
    names = snapshot.items.column("id").to_pylist()
    users = np.flatnonzero(np.diff(split.test.indptr))
    scores = sage.user_scores(users)[:, split.test_candidates]
    best = split.test_candidates[scores.argmax(dim=1).numpy()]
    user_ids = snapshot.users.column("id").to_pylist()
    colour_of_user = ["red" if int(user_ids[u][1:]) < 20 else "blue" for u in users]
    assert [names[i].rstrip("0123456789") for i in best] == colour_of_user
    clone = GraphSAGE(**SAGE)
    clone.set_state(sage.state())
    assert np.allclose(clone.user_scores(users).numpy(), sage.user_scores(users).numpy())


def test_sage_needs_content_and_the_snapshot(embedded: GraphStore) -> None:
    snapshot = two_community_shop(embedded)
    split = make_split(snapshot, "temporal")
    with pytest.raises(InvalidInput, match="call use_snapshot first"):
        GraphSAGE(**SAGE).fit(split)
    bare = Snapshot(
        users=snapshot.users,
        items=snapshot.items.set_column(1, "title", pa.nulls(30, pa.string())).set_column(
            5, "brand", pa.array([-1] * 30, pa.int32())
        ),
        interactions=snapshot.interactions,
        categories=snapshot.categories,
        brands=snapshot.brands,
        item_categories=snapshot.item_categories.slice(0, 0),
        meta=snapshot.meta,
    )
    with pytest.raises(InvalidInput, match="sage needs item content"):
        GraphSAGE(**SAGE).use_snapshot(bare)


def test_a_new_item_is_placed_by_its_title_else_embedded_by_the_network(
    embedded: GraphStore, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Served from an artifact, a new item whose title shares words with known items is placed
    by those look-alikes (better than GraphSAGE's own vector on Amazon Beauty's cold split); one
    whose title shares none gets GraphSAGE's vector from its brand and category."""
    from graphrec.serving import related
    from graphrec.serving.service import ItemInput, Service
    from graphrec.training.train import train

    snapshot = two_community_shop(embedded)
    artifact = train(snapshot, "sage", SAGE, tmp_path / "models", split_kind="temporal")
    service = Service.open(embedded, artifact, config=served_config())
    assert service.engine.item_encoder is not None
    index, created = service.upsert_item(ItemInput(id="new-red", title="Crimson ruby rose gloss"))
    assert created
    similar = related.similar_items(service.engine, "new-red", 5)
    assert [r.item.id.rstrip("0123456789") for r in similar] == ["red"] * 5
    answer = service.engine.recommend("u0", 30)  # a red shopper
    ranked = [r.item.id for r in answer.items]
    assert "new-red" in ranked
    assert all(ranked.index("new-red") < ranked.index(i) for i in ranked if i.startswith("blue"))
    engine = service.engine
    assert engine.item_encoder is not None
    assert not np.allclose(engine.vectors[index], engine.item_encoder(index))  # placed
    lacquer, _ = service.upsert_item(
        ItemInput(
            id="new-lacquer", title="Glossy lacquer", brand_id="redco", categories=(("Red", None),)
        )
    )
    np.testing.assert_allclose(engine.vectors[lacquer], engine.item_encoder(lacquer), atol=1e-6)
    similar = related.similar_items(engine, "new-lacquer", 5)
    assert [r.item.id.rstrip("0123456789") for r in similar] == ["red"] * 5
