"""The graph store: one protocol, one module per backend, chosen by URL.

>>> store = open_store("data/store")            # embedded LadybugDB directory
>>> store = open_store("neo4j://localhost:7687")  # Neo4j 5 (credentials from settings)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from graphrec.errors import ConfigError
from graphrec.store.base import (
    INTERACTION_KEY,
    SCHEMAS,
    Change,
    Counts,
    GraphBatch,
    GraphStore,
    Interaction,
    Link,
    WriteSummary,
)

if TYPE_CHECKING:
    from graphrec.config import Settings

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")

__all__ = [
    "INTERACTION_KEY",
    "SCHEMAS",
    "Change",
    "Counts",
    "GraphBatch",
    "GraphStore",
    "Interaction",
    "Link",
    "WriteSummary",
    "open_store",
]


def open_store(
    url: str | None = None, settings: Settings | None = None, read_only: bool = False
) -> GraphStore:
    """Open the store a URL names: ``neo4j://``/``bolt://`` (and ``+s``/``+ssc``) for Neo4j,
    ``ladybug://PATH`` or a plain path for the embedded store. ``None`` means the settings'
    store (``GRAPHREC_STORE``, else the embedded store under ``GRAPHREC_DATA_DIR``).
    ``read_only`` opens an existing embedded store for reading only, beside its one writer
    (Neo4j takes any number of clients either way)."""
    from graphrec.config import get_settings  # settings are read only when a store is opened

    settings = settings or get_settings()
    url = url or settings.store_url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in NEO4J_SCHEMES:
        from graphrec.store.neo4j import Neo4jStore

        user = parts.username or settings.neo4j_user
        password = parts.password or settings.neo4j_password
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return Neo4jStore(
            clean,
            user,
            password,
            settings.neo4j_database,
            batch_size=settings.write_batch_size,
            timeout=settings.neo4j_timeout_seconds,
        )
    if scheme in ("", "ladybug", "file") or (len(scheme) == 1 and url[1:3] in (":\\", ":/")):
        from graphrec.store.ladybug import LadybugStore

        path = Path(
            url[len("ladybug://") :]
            if scheme == "ladybug"
            else url[len("file://") :]
            if scheme == "file"
            else url
        )
        return LadybugStore(
            path,
            settings.ladybug_buffer_pool_mb,
            settings.ladybug_threads,
            read_only=read_only and path.exists(),  # a first command creates the store
            min_free_mb=settings.ladybug_min_free_mb,
            checkpoint_kb=settings.ladybug_checkpoint_kb,
        )
    raise ConfigError(
        f"unknown store URL scheme {parts.scheme!r} in {url!r}; use one of "
        f"{', '.join(s + '://' for s in NEO4J_SCHEMES)}, ladybug://PATH or a directory path"
    )
