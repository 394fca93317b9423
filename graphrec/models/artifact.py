"""Versioned model artifacts: a folder a trained model can be served and evaluated from.

<out>/<model>-<UTC time>-<data fingerprint>/
    model.json      name, config, metrics, history, data fingerprint, split, code version
    state.npz       the model's arrays (embeddings, similarities, ...)
    snapshot/       the training snapshot itself (id maps, interactions, item features)
    curve.png       loss and validation recall@20 per evaluation (iterative models)
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

import graphrec
from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.models.names import SERVABLE
from graphrec.models.serving_parts import ServingParts

if TYPE_CHECKING:
    from graphrec.models.base import History, Recommender

ARTIFACT_VERSION = 1


def code_version() -> str:
    """graphrec's version plus the git commit when run from a checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{graphrec.__version__}+{commit}" if commit else graphrec.__version__


#: What serving scores a servable model with, saved beside its state, in the order of the
#: artifact's snapshot (:class:`~graphrec.models.serving_parts.ServingParts`): ``items`` and
#: ``users`` (float32 vectors) and, for a model that scores from a shopper's items, the item x
#: item weights (``neighbours_indptr``/``_indices``/``_data``) and ``half_life``: read with no
#: model class.
VECTORS_FILE = "vectors.npz"


class Artifact:
    """A trained model version: its folder, the snapshot it was trained on, its ``model.json``
    (``meta``), and the model itself, loaded (with torch) only when first asked for."""

    def __init__(
        self,
        path: Path,
        snapshot: Snapshot,
        meta: dict[str, Any],
        device: str = "auto",
        model: Recommender | None = None,
    ) -> None:
        self.path, self.snapshot, self.meta, self.device = path, snapshot, meta, device
        self._model = model

    @property
    def name(self) -> str:
        """The model's name (``lightgcn``, ``gfcf``, ...)."""
        return str(self.meta["model"])

    @property
    def model(self) -> Recommender:
        if self._model is None:
            from graphrec.models import MODELS

            model_class = MODELS.get(self.name)
            if model_class is None:
                raise InvalidInput(f"{self.path}: unknown model {self.name!r}")
            model = model_class(**{**self.meta["config"], "device": self.device})
            model.use_snapshot(self.snapshot)  # what it reads besides interactions
            with np.load(self.path / "state.npz") as state:
                model.set_state({name: state[name] for name in state.files})
            self._model = model
        return self._model

    def forget_loaded(self) -> None:
        """Its files changed (a privacy delete): read the snapshot again, and the model when
        next asked for."""
        self.snapshot = Snapshot.load(self.path / "snapshot")
        self._model = None

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The item and user vectors (float32) serving scores with."""
        parts = self.serving_parts()
        return parts.items, parts.users

    def serving_parts(self) -> ServingParts:
        """What serving scores with, from :data:`VECTORS_FILE` where the artifact has it, else
        from the model."""
        saved = self.path / VECTORS_FILE
        if not saved.is_file():
            return self.model.serving_parts()
        with np.load(saved) as arrays:
            neighbours = None
            if "neighbours_indptr" in arrays.files:
                count = len(arrays["items"])
                neighbours = sp.csr_matrix(
                    (
                        arrays["neighbours_data"],
                        arrays["neighbours_indices"],
                        arrays["neighbours_indptr"],
                    ),
                    shape=(count, count),
                )
            half_life = float(arrays["half_life"]) if "half_life" in arrays.files else 0.0
            return ServingParts(arrays["items"], arrays["users"], neighbours, half_life)


def trained_vectors(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The item and user vectors a model is served with."""
    parts = model.serving_parts()
    return parts.items, parts.users


def save_serving_parts(target: Path, parts: ServingParts) -> None:
    arrays = {"items": parts.items, "users": parts.users, "half_life": np.array(parts.half_life)}
    if parts.neighbours is not None:
        arrays["neighbours_indptr"] = parts.neighbours.indptr
        arrays["neighbours_indices"] = parts.neighbours.indices
        arrays["neighbours_data"] = parts.neighbours.data.astype(np.float32)
    np.savez(target, **arrays)  # type: ignore[arg-type]


def save_artifact(
    out: Path,
    model: Recommender,
    snapshot: Snapshot,
    history: History,
    metrics: dict[str, Any],
    split: dict[str, Any],
    tuning: dict[str, Any] | None = None,
    final_fit: dict[str, Any] | None = None,
) -> Path:
    """Save a trained model as a new version folder under ``out``; returns the folder.
    ``final_fit``: what a second fit on training and validation together did (``history`` is
    then the early-stopped fit's, whose curve it draws)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"{model.name}-{stamp}-{snapshot.meta['fingerprint']}"
    out.mkdir(parents=True, exist_ok=True)
    folder, again = out / name, 1
    while True:  # two trainings of one snapshot in one second each get a folder
        try:
            folder.mkdir()
            break
        except FileExistsError:
            again += 1
            folder = out / f"{name}-{again}"
    np.savez(folder / "state.npz", **model.state())  # type: ignore[arg-type]
    if model.name in SERVABLE:
        save_serving_parts(folder / VECTORS_FILE, model.serving_parts())
    snapshot.save(folder / "snapshot")
    config = {k: v for k, v in model.config.items() if k != "device"}
    meta = {
        "artifact_version": ARTIFACT_VERSION,
        "model": model.name,
        "config": config,
        "device": str(model.device),
        "metrics": metrics,
        "split": split,
        "history": history.rows,
        "best_epoch": history.best_epoch,
        "stopped": history.stopped,
        "train_seconds": history.seconds,
        "data_fingerprint": snapshot.meta["fingerprint"],
        "code_version": code_version(),
        "created_at": stamp,
    }
    if tuning is not None:
        meta["tuning"] = tuning
    if final_fit is not None:
        meta["final_fit"] = final_fit
    (folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    if history.rows:
        plot_history(history, folder / "curve.png", title=f"{model.name} on {split.get('kind')}")
    return folder


def load_artifact(path: Path, device: str = "auto") -> Artifact:
    meta_file = path / "model.json"
    if not meta_file.is_file():
        raise InvalidInput(f"not a graphrec model artifact (no model.json): {path}")
    meta = json.loads(meta_file.read_text())
    if meta.get("artifact_version") != ARTIFACT_VERSION:
        raise InvalidInput(
            f"{path}: artifact version {meta.get('artifact_version')}, "
            f"this graphrec reads {ARTIFACT_VERSION}"
        )
    artifact = Artifact(path, Snapshot.load(path / "snapshot"), meta, device)
    if not (path / VECTORS_FILE).is_file() or meta["model"] not in SERVABLE:
        artifact.model  # noqa: B018 - loaded now, so that a bad state fails here
    return artifact


def plot_history(history: History, target: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, loss_axis = plt.subplots(figsize=(7, 4), dpi=110)
    trained = [row for row in history.rows if "loss" in row]  # the start has no loss
    loss_axis.plot(
        [row["epoch"] for row in trained], [row["loss"] for row in trained], color="tab:blue"
    )
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("training loss", color="tab:blue")
    validated = [row for row in history.rows if "valid_recall@20" in row]  # none in a refit
    if validated:
        recall_axis = loss_axis.twinx()
        recall_axis.plot(
            [row["epoch"] for row in validated],
            [row["valid_recall@20"] for row in validated],
            color="tab:orange",
            marker=".",
        )
        recall_axis.set_ylabel("validation recall@20", color="tab:orange")
        if history.best_epoch is not None:
            recall_axis.axvline(
                history.best_epoch,
                color="grey",
                linestyle=":",
                label=f"best epoch {history.best_epoch}",
            )
            recall_axis.legend(loc="lower right")
    loss_axis.set_title(title)
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
