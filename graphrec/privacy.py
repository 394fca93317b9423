"""What a privacy delete reaches beyond the store, and the audit that shows it is complete.

A model version keeps what it was trained on: its snapshot (the shopper's id and history), its
state (the shopper's vector, or their row of the interaction matrix) and its saved vectors.
:func:`forget_in_models` takes the shopper out of every version under the models folder: the
id blanked, their interactions dropped, their vector zeroed, their matrix row emptied. Each
file is rewritten whole and swapped in. A forgotten id that comes back then starts cold, and a
server started while the store is down (it serves from the artifact) cannot bring them back.

:func:`forget_in_store` deletes them in the store and derives ``BOUGHT_WITH`` again when their
interactions counted in its weights, for the items they had.

:func:`audit` looks for a shopper everywhere graphrec keeps data: the store, the attribution
log (their pseudonym), every model version, and the raw id in any file under the data folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphrec.graph.derive import derive_bought_with_of, items_counted_for
from graphrec.graph.snapshot import Snapshot
from graphrec.models.artifact import VECTORS_FILE
from graphrec.serving.attribution import FILES as LOG_FILES
from graphrec.serving.attribution import AttributionLog, log_files
from graphrec.store.base import GraphStore

STATE_FILE = "state.npz"


def forget_in_store(store: GraphStore, user_id: str) -> tuple[bool, bool]:
    """Delete the shopper and their interactions from the store, then, when they counted in
    ``BOUGHT_WITH`` weights, derive the edges of the items they had again (only pairs of those
    items change). (deleted, derived again)."""
    counted = items_counted_for(store, user_id)
    deleted = store.delete_user(user_id)
    if deleted and counted:
        derive_bought_with_of(store, counted)
    return deleted, deleted and bool(counted)


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    fresh = path.with_name(f"{path.stem}.{os.getpid()}.new.npz")
    np.savez(fresh, **arrays)  # type: ignore[arg-type]
    os.replace(fresh, path)


def forget_state(state: dict[str, np.ndarray], user: int) -> dict[str, np.ndarray]:
    """A model state without user ``user``: their row of ``user_vectors`` zeroed (embedding
    models), their row of each users x items CSR matrix (``indptr``/``indices``, ``train_``
    ones: the graph filters, item-KNN) emptied. Item-level state (popularity, similarities,
    the network) holds no one shopper."""
    out = dict(state)
    if "user_vectors" in out and user < len(out["user_vectors"]):
        vectors = out["user_vectors"].copy()
        vectors[user] = 0
        out["user_vectors"] = vectors
    for prefix in ("", "train_"):
        indptr, indices = out.get(f"{prefix}indptr"), out.get(f"{prefix}indices")
        if indptr is None or indices is None or user + 1 >= len(indptr):
            continue
        start, end = int(indptr[user]), int(indptr[user + 1])
        out[f"{prefix}indices"] = np.delete(indices, np.s_[start:end])
        if f"{prefix}data" in out:
            out[f"{prefix}data"] = np.delete(out[f"{prefix}data"], np.s_[start:end])
        fixed = indptr.copy()
        fixed[user + 1 :] -= end - start
        out[f"{prefix}indptr"] = fixed
    return out


def forget_in_artifact(folder: Path, user_id: str) -> bool:
    """Take the shopper out of one model version; whether it held them."""
    snapshot_dir = folder / "snapshot"
    if not (snapshot_dir / "meta.json").is_file():
        return False
    snapshot = Snapshot.load(snapshot_dir)
    ids = snapshot.users.column("id").to_pylist()
    if user_id not in ids:
        return False
    user = ids.index(user_id)
    ids[user] = None
    users = snapshot.users.set_column(0, "id", pa.array(ids, pa.string()))
    keep = pc.not_equal(snapshot.interactions.column("user"), user)
    interactions = snapshot.interactions.filter(keep)
    snapshot.users, snapshot.interactions = users, interactions
    fresh = folder / f"snapshot.{os.getpid()}.new"
    snapshot.save(fresh)
    for name in os.listdir(fresh):
        os.replace(fresh / name, snapshot_dir / name)
    fresh.rmdir()
    if (folder / STATE_FILE).is_file():
        with np.load(folder / STATE_FILE) as state:
            arrays = {name: state[name] for name in state.files}
        _save_npz(folder / STATE_FILE, forget_state(arrays, user))
    if (folder / VECTORS_FILE).is_file():
        with np.load(folder / VECTORS_FILE) as saved:
            arrays = {name: saved[name] for name in saved.files}
        arrays["users"] = forget_state({"user_vectors": arrays["users"]}, user)["user_vectors"]
        _save_npz(folder / VECTORS_FILE, arrays)
    return True


def forget_in_models(models_dir: Path, user_id: str) -> list[str]:
    """Take the shopper out of every model version under ``models_dir``; the versions that
    held them."""
    if not models_dir.is_dir():
        return []
    return sorted(
        folder.name
        for folder in models_dir.iterdir()
        if folder.is_dir() and forget_in_artifact(folder, user_id)
    )


@dataclass(frozen=True)
class Found:
    place: str
    detail: str


def audit(
    user_id: str, store: GraphStore, data_dir: Path, models_dir: Path, log_secret: str = ""
) -> list[Found]:
    """Every place the shopper (or their pseudonym) still appears; empty when none."""
    found: list[Found] = []
    if store.get_user(user_id) is not None:
        found.append(Found("store", f"(:User {{id: {user_id!r}}})"))
    if store.recent_interactions(user_id, 1):
        found.append(Found("store", "their INTERACTED relationships"))
    log_dir = data_dir / "log"
    pseudonym = AttributionLog(log_dir, log_secret).pseudonym(user_id).encode()
    for path in (p for name in LOG_FILES for p in log_files(log_dir, name)):
        if pseudonym in path.read_bytes():
            found.append(Found("log", f"{path} (their pseudonym)"))
    if models_dir.is_dir():
        for folder in sorted(models_dir.iterdir()):
            snapshot_dir = folder / "snapshot"
            if (snapshot_dir / "meta.json").is_file():
                users = Snapshot.load(snapshot_dir).users.column("id").to_pylist()
                if user_id in users:
                    found.append(Found("model version", f"{folder.name} (its snapshot)"))
    # the raw id as a token of its own (not inside a longer word or number)
    needle = re.compile(
        rb"(?<![A-Za-z0-9_-])" + re.escape(user_id.encode()) + rb"(?![A-Za-z0-9_-])"
    )
    paths = {
        p.resolve() for root in (data_dir, models_dir) if root.is_dir() for p in root.rglob("*")
    }
    for path in sorted(paths):
        if path.is_file() and path.stat().st_size < 2**31 and needle.search(path.read_bytes()):
            found.append(Found("file", str(path)))
    return found
