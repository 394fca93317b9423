"""Model versions: the artifacts under a models folder, and which one the store says is active.

A version is an artifact folder's name (``gfcf-20261206T101500-3f2a``). The store keeps the
active version (setting ``model``) and the versions activated before it (``model.history``),
so every serving process, on any machine that sees the same models folder, serves the same one
and follows a switch through the change feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphrec.errors import InvalidInput, NotFound
from graphrec.models.names import servable, servable_names
from graphrec.store.base import GraphStore

ACTIVE = "model"
HISTORY = "model.history"
#: Versions remembered for ``rollback``.
HISTORY_SIZE = 20


@dataclass(frozen=True)
class Version:
    name: str
    path: Path
    model: str
    created: float
    meta: dict[str, Any]

    @property
    def servable(self) -> bool:
        return servable(self.model)


def versions(folder: Path) -> list[Version]:
    """Every artifact under ``folder``, oldest first."""
    found = []
    for meta_path in folder.glob("*/model.json"):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue  # a folder being written, or not an artifact
        path = meta_path.parent
        found.append(Version(path.name, path, str(meta.get("model")), path.stat().st_mtime, meta))
    return sorted(found, key=lambda v: (v.created, v.name))


def find(folder: Path, name: str) -> Version:
    """The servable version ``name`` under ``folder``."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput(f"a model version is an artifact folder's name, got {name!r}")
    for version in versions(folder):
        if version.name == name:
            if not version.servable:
                raise InvalidInput(
                    f"{name} is a {version.model!r} model, which graphrec serve cannot serve; "
                    f"servable: {', '.join(servable_names())}"
                )
            return version
    raise NotFound(f"no model version {name!r} under {folder} (graphrec models list)")


def latest(folder: Path) -> Version:
    """The newest servable version under ``folder``."""
    found = [v for v in versions(folder) if v.servable]
    if not found:
        raise InvalidInput(
            f"no servable model under {folder}; train one of "
            f"{', '.join(servable_names())} first (graphrec train --model NAME)"
        )
    return found[-1]


def active(store: GraphStore) -> str | None:
    """The version the store says to serve, if one was activated."""
    return store.settings().get(ACTIVE)


def to_serve(folder: Path, name: str | None) -> Version:
    """The version ``name`` (the active one) when it is under ``folder``, else the newest
    servable one."""
    if name:
        try:
            return find(folder, name)
        except (InvalidInput, NotFound):
            pass
    return latest(folder)


def history(store: GraphStore) -> list[str]:
    raw = store.settings().get(HISTORY)
    return list(json.loads(raw)) if raw else []


def activate(store: GraphStore, folder: Path, name: str) -> Version:
    """Make ``name`` the version every serving process serves."""
    version = find(folder, name)
    past = [v for v in history(store) if v != name][-(HISTORY_SIZE - 1) :]
    store.put_setting(HISTORY, json.dumps([*past, name]))
    store.put_setting(ACTIVE, name)
    return version


def rollback(store: GraphStore, folder: Path) -> Version:
    """Activate the version that was active before the current one."""
    past = history(store)
    if len(past) < 2:
        raise InvalidInput("no earlier model version to roll back to (graphrec models list)")
    version = find(folder, past[-2])
    store.put_setting(HISTORY, json.dumps(past[:-1]))
    store.put_setting(ACTIVE, version.name)
    return version
