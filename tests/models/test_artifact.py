"""Model versions as serving reads them: the names table in step with the classes, and a saved
version served from its vectors without importing a model class or torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from graphrec.graph.snapshot import export_snapshot
from graphrec.graph.splits import make_split
from graphrec.models import MODELS, Blend
from graphrec.models.artifact import VECTORS_FILE, load_artifact, trained_vectors
from graphrec.models.base import Recommender
from graphrec.models.names import INDUCTIVE, MODULES, SERVABLE
from graphrec.store import GraphStore
from graphrec.training.train import train
from tests.graphs import shop_batch


def test_the_names_table_matches_the_model_classes() -> None:
    assert list(MODELS) == list(MODULES)
    # servable: a model with user vectors, or its own served form (item-item weights)
    served_form = {
        name
        for name, cls in MODELS.items()
        if hasattr(cls, "user_vectors") or cls.serving_parts is not Recommender.serving_parts
    }
    assert served_form == set(SERVABLE)
    assert {n for n, c in MODELS.items() if hasattr(c, "can_embed_new_items")} == set(INDUCTIVE)
    for name, cls in MODELS.items():
        assert cls.__module__ == MODULES[name]


def test_a_version_is_served_from_its_vectors_without_torch(
    embedded: GraphStore, tmp_path: Path
) -> None:
    embedded.write(shop_batch())
    path = train(export_snapshot(embedded), "gfcf", {}, tmp_path / "models")
    assert (path / VECTORS_FILE).is_file()
    artifact = load_artifact(path)
    saved_items, saved_users = artifact.vectors()
    items, users = trained_vectors(artifact.model)  # the model itself, loaded on demand
    np.testing.assert_array_equal(saved_items, items)
    np.testing.assert_array_equal(saved_users, users)
    embedded.close()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from graphrec.serving.service import Service\n"
        "from graphrec.store import open_store\n"
        f"store = open_store({str(tmp_path / 'embedded')!r})\n"
        f"service = Service.open(store, Path({str(path)!r}))\n"
        "assert service.engine.vectors.shape[0] == 6, service.engine.vectors.shape\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_an_als_version_is_served(embedded: GraphStore, tmp_path: Path) -> None:
    """ALS (implicit's) gives vectors like the embedding models: serving answers from them."""
    from graphrec.serving.service import Service
    from tests.graphs import served_config

    embedded.write(shop_batch())
    path = train(export_snapshot(embedded), "als", {"factors": 4}, tmp_path / "models")
    items, users = load_artifact(path).vectors()
    assert items.shape == (6, 4) and users.shape == (4, 4)
    service = Service.open(embedded, path, config=served_config())
    try:
        answer = service.engine.recommend("bob", k=2)
        picked = answer.item_ids
        assert len(picked) == 2
        assert not set(picked) & {"serum", "cream", "toner"}  # bob's own items are not offered
    finally:
        service.close()


def test_a_blend_version_is_saved_loaded_and_served(embedded: GraphStore, tmp_path: Path) -> None:
    """A blend's artifact holds its parts' states: loaded, it answers as it was saved, and
    serving answers from its served form (the parts' added)."""
    from graphrec.serving.service import Service
    from tests.graphs import served_config

    embedded.write(shop_batch())
    parts = [{"model": "itemknn", "params": {}}, {"model": "ease", "params": {"l2": 1.0}}]
    params = {"parts": parts, "weights": [0.7, 0.3]}
    path = train(export_snapshot(embedded), "blend", params, tmp_path / "models")
    loaded = load_artifact(path).model
    assert isinstance(loaded, Blend) and loaded.config["weights"] == [0.7, 0.3]
    split = make_split(load_artifact(path).snapshot)
    direct = Blend(**params)
    direct.fit(split)
    np.testing.assert_allclose(loaded.scales, direct.scales)
    for model in (loaded, direct):
        model.observe(split.seen())
    users = np.arange(direct.num_users)
    np.testing.assert_allclose(loaded.user_scores(users), direct.user_scores(users), atol=1e-6)
    service = Service.open(embedded, path, config=served_config())
    try:
        picked = service.engine.recommend("bob", k=2).item_ids
        assert len(picked) == 2
        assert not set(picked) & {"serum", "cream", "toner"}  # bob's own items are not offered
    finally:
        service.close()
