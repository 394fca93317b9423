"""Cypher lives in ``cypher/<backend>/<name>.cypher`` (and the merchandisers' saved queries in
``cypher/explore/``); this module finds and splits it.

A file holds one or more statements, each ended by ``;``. Lines starting with ``//`` are comments.
Values only ever reach a query through parameters.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphrec.errors import GraphRecError, InvalidInput

BACKENDS = ("ladybug", "neo4j")
#: Saved read queries for merchandisers, one dialect that both backends run.
EXPLORE = "explore"
#: Saved read queries only Neo4j answers (its vector index).
EXPLORE_NEO4J = "explore-neo4j"
#: Files of cypher/neo4j/ without a twin in cypher/ladybug/: the vector index's upkeep.
NEO4J_ONLY = frozenset({"vector_index_dimensions", "drop_vector_index", "await_vector_index"})


def cypher_root() -> Path:
    """The source tree's ``cypher/`` (editable installs), else the copy packed into the wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "cypher", here / "_cypher"):
        if candidate.is_dir():
            return candidate
    raise GraphRecError(f"no cypher/ folder found beside {here}")


def split_statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [s.strip() for s in body.split(";") if s.strip()]


@cache
def statements(backend: str, name: str) -> tuple[str, ...]:
    """The statements of ``cypher/<backend>/<name>.cypher``, in order."""
    path = cypher_root() / backend / f"{name}.cypher"
    if not path.is_file():
        raise GraphRecError(f"missing query file {path}")
    found = split_statements(path.read_text(encoding="utf-8"))
    if not found:
        raise GraphRecError(f"query file {path} holds no statement")
    return tuple(found)


def query(backend: str, name: str) -> str:
    """The single statement of a one-statement file."""
    found = statements(backend, name)
    if len(found) != 1:
        raise GraphRecError(f"cypher/{backend}/{name}.cypher holds {len(found)} statements, not 1")
    return found[0]


@cache
def saved_queries(neo4j: bool) -> dict[str, Path]:
    """The merchandisers' saved queries by name: ``cypher/explore/`` (both backends), and
    ``cypher/explore-neo4j/`` too for Neo4j (read once; do not change the answer)."""
    folders = (EXPLORE, EXPLORE_NEO4J) if neo4j else (EXPLORE,)
    return {
        path.stem: path
        for folder in folders
        for path in sorted((cypher_root() / folder).glob("*.cypher"))
    }


def saved_query(name: str, neo4j: bool) -> str:
    """The statement of the saved query ``name``; only a listed name is read, never a path."""
    found = saved_queries(neo4j)
    if name not in found:
        others = [n for n in saved_queries(True) if n not in found]
        hint = f" ({', '.join(others)} need Neo4j)" if others else ""
        raise InvalidInput(f"no saved query {name!r}; the queries are: {', '.join(found)}{hint}")
    return query(found[name].parent.name, name)
