"""What an operator changes while serving: the derived BOUGHT_WITH edges, a model's write-back,
the active model version.

On the embedded store the serving process is the one writer, so ``graphrec derive``, ``train``'s
write-back and ``models activate | rollback`` ask it to make these writes (through the API's
mutations, see :mod:`graphrec.api.running`). Each write records its change in the store's feed
(other processes on Neo4j follow it); this process rebuilds its memory in the background and
goes on answering from the old memory until the new one replaces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphrec.config import get_settings
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.models import versions
from graphrec.models.artifact import load_artifact
from graphrec.store.base import GraphStore

if TYPE_CHECKING:
    from graphrec.serving.service import Service


def derive_bought_with(store: GraphStore) -> int:
    """Recompute the BOUGHT_WITH edges from the store's interactions; how many there are."""
    settings = get_settings()
    edges = bought_with_edges(
        export_snapshot(store),
        settings.co_interaction_kinds_excluded,
        settings.bought_with_top_k,
        settings.bought_with_min_shoppers,
    )
    return store.replace_bought_with(edges)


def derive(service: Service) -> int:
    with service.write_lock:
        count = derive_bought_with(service.store)
    service.follower.rebuild(None, "BOUGHT_WITH derived")
    return count


def write_back(service: Service, version: str, similar_k: int) -> dict[str, int]:
    """Write a trained version's item embeddings and SIMILAR_TO edges (its artifact under the
    server's models folder) to the store."""
    from graphrec.training.train import write_back as write_to_store

    found = versions.find(service.models_dir, version)
    artifact = load_artifact(found.path, device="cpu")
    with service.write_lock:
        written = write_to_store(service.store, artifact.model, artifact.snapshot, similar_k)
    service.follower.rebuild(None, f"{version} written back")
    return written


def activate(service: Service, version: str) -> str:
    with service.write_lock:
        chosen = versions.activate(service.store, service.models_dir, version)
    service.follower.rebuild(chosen.name, f"model {chosen.name} activated")
    return chosen.name


def rollback(service: Service) -> str:
    with service.write_lock:
        chosen = versions.rollback(service.store, service.models_dir)
    service.follower.rebuild(chosen.name, f"rolled back to {chosen.name}")
    return chosen.name
