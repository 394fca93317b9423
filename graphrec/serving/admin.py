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

from graphrec.graph.derive import derive_bought_with
from graphrec.models import versions
from graphrec.models.artifact import load_artifact

if TYPE_CHECKING:
    from graphrec.serving.service import Service


def derive(service: Service) -> int:
    with service.write_lock:
        count = derive_bought_with(service.store)
    service.follower.rebuild(None, "BOUGHT_WITH derived")
    return count


def write_back(service: Service, version: str, similar_k: int) -> dict[str, int]:
    """Write a trained version's item embeddings and SIMILAR_TO edges (its artifact under the
    server's models folder) to the store."""
    from graphrec.training.train import write_back_version

    found = versions.find(service.models_dir, version)
    artifact = load_artifact(found.path, device="cpu")
    with service.write_lock:
        written = write_back_version(service.store, artifact, similar_k)
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
