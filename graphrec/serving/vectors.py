"""What serving takes from a trained artifact: the user and item vectors, aligned to the items
and users in memory; for a model that can embed items it never saw (GraphSAGE), an encoder for
items that arrive while serving; and, where new items are placed by what their titles mean,
the trained titles' sentence vectors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.models.artifact import Artifact
from graphrec.models.item_text import ENCODER_PACKAGE, encode_sentences
from graphrec.models.names import INDUCTIVE, servable, servable_names
from graphrec.models.serving_parts import ServingParts
from graphrec.serving.cold_start import content_vector
from graphrec.serving.compiled import Csr
from graphrec.serving.engine import Engine
from graphrec.serving.live import LiveGraph
from graphrec.serving.options import EngineConfig
from graphrec.serving.shared_arrays import SharedArrays, fingerprint

log = logging.getLogger(__name__)

#: Bumped when model_arrays changes what it makes (old cache entries then go unused).
ARRAYS_FORMAT = 3
SNAPSHOT_TABLES = ("users", "items", "interactions", "categories", "brands", "item_categories")


def check_servable(artifact: Artifact) -> None:
    if not servable(artifact.name):
        raise InvalidInput(
            f"serving needs one of these models: {', '.join(servable_names())}; "
            f"{artifact.path.name} is {artifact.name!r}"
        )


def model_vectors(
    artifact: Artifact, snapshot: Snapshot, live: LiveGraph, parts: ServingParts | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Item vectors, which items the model knows, user vectors and which users it knows, in
    the order of ``live``; an item the model never saw gets its content's vector."""
    parts = parts or artifact.serving_parts()
    trained_items, trained_users = parts.items, parts.users
    old = artifact.snapshot
    item_at = {item: i for i, item in enumerate(old.items.column("id").to_pylist())}
    user_at = {user: i for i, user in enumerate(old.users.column("id").to_pylist())}
    items = np.zeros((live.num_items, trained_items.shape[1]), dtype=np.float32)
    known_items = np.zeros(live.num_items, dtype=bool)
    for index, item_id in enumerate(live.item_ids):
        at = item_at.get(item_id)
        if at is not None:
            items[index], known_items[index] = trained_items[at], True
    for unknown in np.flatnonzero(~known_items):
        items[unknown] = content_vector(live, items, known_items, int(unknown))
    users = np.zeros((live.num_users, trained_users.shape[1]), dtype=np.float32)
    known_users = np.zeros(live.num_users, dtype=bool)
    for index, user_id in enumerate(live.user_ids):
        row = user_at.get(user_id) if user_id is not None else None
        if row is not None:
            users[index], known_users[index] = trained_users[row], True
    return items, known_items, users, known_users


def model_neighbours(artifact: Artifact, parts: ServingParts, live: LiveGraph) -> Csr | None:
    """The model's item x item weights between the items of ``live``, in its order (weights of
    items no longer in the store left out); None for a model without them."""
    if parts.neighbours is None:
        return None
    trained = artifact.snapshot.items.column("id").to_pylist()
    index_of = {item_id: index for index, item_id in enumerate(live.item_ids)}
    to_live = np.array([index_of.get(item_id, -1) for item_id in trained], dtype=np.int64)
    weights = parts.neighbours.tocoo()
    rows, cols = to_live[weights.row], to_live[weights.col]
    keep = (rows >= 0) & (cols >= 0)
    shape = (live.num_items, live.num_items)
    matrix = sp.csr_matrix((weights.data[keep], (rows[keep], cols[keep])), shape=shape)
    matrix.sort_indices()
    return Csr(
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float32),
    )


def inductive_encoder(
    artifact: Artifact, engine: Engine
) -> Callable[[int], np.ndarray | None] | None:
    """For a model that embeds new items from their title, categories and brand (GraphSAGE
    with its network): a function from an item's index in ``engine`` to its vector."""
    if artifact.name not in INDUCTIVE:
        return None
    model: Any = artifact.model  # (torch, only for such a model)
    able = getattr(model, "can_embed_new_items", None)
    if able is None or not able():
        return None
    trained = artifact.snapshot
    category_at = {c: i for i, c in enumerate(trained.categories.column("id").to_pylist())}
    brand_at = {b: i for i, b in enumerate(trained.brands.column("id").to_pylist())}

    live = engine.live  # not the engine: the engine holds this function (no reference cycle)

    def encode(index: int) -> np.ndarray | None:
        categories = [
            category_at[live.category_ids[c]]
            for c in live.item_categories[index]
            if live.category_ids[c] in category_at
        ]
        brand = live.brand[index]
        brand_index = brand_at.get(live.brand_ids[brand], -1) if brand >= 0 else -1
        vectors = model.embed_new_items(trained, [live.titles[index]], [categories], [brand_index])
        return np.asarray(vectors[0], dtype=np.float32)

    return encode


def title_sentences(artifact: Artifact) -> dict[str, np.ndarray]:
    """The title of every item a model version was trained with, as a unit sentence vector
    (zeros for an item without one), for ``GRAPHREC_NEW_ITEM_TEXT`` other than ``words``:
    about a minute for 12,000 titles on two CPU cores, made once per version
    (:func:`sentences_key`); new items' titles are encoded as they come."""
    titles = [title or "" for title in artifact.snapshot.items.column("title").to_pylist()]
    log.info("encoding the %d titles of %s for new items, once", len(titles), artifact.path.name)
    vectors = encode_sentences(titles, progress=len(titles) > 10_000)
    vectors[[i for i, title in enumerate(titles) if not title.strip()]] = 0.0
    return {"sentences": vectors}


def sentences_key(artifact: Artifact) -> str:
    """What :func:`title_sentences` depends on, as a hash: the encoder and the version."""
    return fingerprint(["title sentences", ENCODER_PACKAGE, artifact.path.name], [])


def in_live_order(artifact: Artifact, live: LiveGraph, trained: np.ndarray) -> np.ndarray:
    """Rows of ``trained`` (one per item of the version's training) in the order of ``live``;
    zeros for the items it was not trained with."""
    item_at = {item: i for i, item in enumerate(artifact.snapshot.items.column("id").to_pylist())}
    rows = np.array([item_at.get(item_id, -1) for item_id in live.item_ids], dtype=np.int64)
    out = np.zeros((live.num_items, trained.shape[1]), dtype=np.float32)
    out[rows >= 0] = trained[rows[rows >= 0]]
    return out


class TitleSentences:
    """A version's trained titles as sentence vectors (:func:`title_sentences`): made once
    per version, shared through ``shared``'s cache, and kept for this process's rebuilds."""

    def __init__(self, shared: SharedArrays) -> None:
        self.shared = shared
        self.last: tuple[str, np.ndarray] | None = None

    def in_live_order(self, artifact: Artifact, live: LiveGraph) -> np.ndarray:
        """One row per item of ``live`` (:func:`in_live_order`)."""
        key = sentences_key(artifact)
        if self.last is None or self.last[0] != key:
            made = self.shared.get(key, lambda: title_sentences(artifact))["sentences"]
            self.last = (key, made)
        return in_live_order(artifact, live, self.last[1])


def model_arrays(
    artifact: Artifact,
    snapshot: Snapshot,
    live: LiveGraph,
    config: EngineConfig,
    sentences: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """What serving derives from a model version and the store's data, the same in every
    process that loads the same: the item vectors (an item the model never saw embedded by its
    network, else by its content), their unit vectors, the user vectors, which users the model
    knows, and every shopper's stored candidates."""
    parts = artifact.serving_parts()
    items, known_items, users, known_users = model_vectors(artifact, snapshot, live, parts)
    neighbours = model_neighbours(artifact, parts, live)
    engine = Engine(
        live,
        items,
        users,
        known_users,
        config,
        neighbours=neighbours,
        half_life=parts.half_life,
        known_items=known_items,
    )
    engine.new_items.sentences = sentences
    encode = inductive_encoder(artifact, engine)
    for index in np.flatnonzero(~known_items).tolist():  # in the store, not in training
        # placed by its title's look-alikes, else the model's network (else its content's
        # vector, in model_vectors)
        vector = engine.new_items.place(index, items, engine.look_alike_items())
        if vector is None and encode is not None:
            vector = encode(index)
        if vector is not None:
            engine.set_vector(index, vector)
    engine.precompute_candidates()
    return {
        "items": engine.vectors,
        "unit": engine.unit,
        "users": engine.user_vectors,
        "known_users": engine.known_users,
        "known_items": known_items,
        **engine.stored.arrays(),
        **engine.new_items.arrays(),
        **(
            {}
            if neighbours is None
            else {
                "neighbours_indptr": neighbours.indptr,
                "neighbours_indices": neighbours.indices,
                "neighbours_data": neighbours.data,
                "half_life": np.array([parts.half_life]),
            }
        ),
    }


def data_key(snapshot: Snapshot) -> str:
    """A hash of the snapshot's data, what every cache of derived arrays depends on."""
    return fingerprint([], [getattr(snapshot, name) for name in SNAPSHOT_TABLES])


def arrays_key(artifact: Artifact, data: str, config: EngineConfig) -> str:
    """What :func:`model_arrays` depends on, as a hash: the model version, the settings of
    the stored candidates and the data (:func:`data_key`)."""
    settings = (
        config.candidates,
        config.session_weight,
        config.session_half_life,
        config.session_items,
        config.precompute_users,
        config.new_item_text,
    )
    return fingerprint([ARRAYS_FORMAT, artifact.path.name, settings, data], [])
