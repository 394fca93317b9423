"""Persisted operations: the query documents a shop sends, kept as files.

``api/operations/*.graphql`` holds the shop page's queries and the documented ones, one
operation per file, named as the file. A client sends one of them by its text (``query``) or by
its SHA-256 (``extensions.persistedQuery.sha256Hash``, as Apollo's clients do, with no
``query``); the server answers it through an encoder compiled for it at start
(:mod:`graphrec.api.fast`). Every other document is answered by Strawberry. A shop adds its own
documents as files in a folder named by ``GRAPHREC_OPERATIONS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLError, OperationDefinitionNode, parse

from graphrec.errors import GraphRecError, InvalidInput

#: The error code of a hash the server does not know (the client then sends the text).
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"


def operations_root() -> Path:
    """The source tree's ``api/operations/`` (editable installs), else the copy in the wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "api" / "operations", here / "_operations"):
        if candidate.is_dir():
            return candidate
    raise GraphRecError(f"no api/operations/ folder found beside {here}")


@dataclass(frozen=True)
class Operation:
    name: str
    text: str
    sha256: str
    #: where it came from (a file), for errors
    source: str


def operation(text: str, source: str) -> Operation:
    """The operation in ``text``: one named query or mutation, nothing else."""
    try:
        document = parse(text)
    except GraphQLError as e:
        raise InvalidInput(f"{source}: not a GraphQL document: {e.message}") from e
    definitions = document.definitions
    if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode):
        raise InvalidInput(f"{source}: a persisted document holds one operation and nothing else")
    name = definitions[0].name
    if name is None:
        raise InvalidInput(f"{source}: a persisted operation needs a name")
    return Operation(name.value, text, hashlib.sha256(text.encode()).hexdigest(), source)


class Operations:
    """A set of persisted operations, found by text or by hash."""

    def __init__(self, operations: list[Operation]) -> None:
        self.by_name: dict[str, Operation] = {}
        for op in operations:
            if op.name in self.by_name:
                raise InvalidInput(
                    f"{op.source}: operation {op.name} is also in {self.by_name[op.name].source}"
                )
            self.by_name[op.name] = op
        self.by_text = {op.text: op for op in operations}
        self.by_hash = {op.sha256: op for op in operations}

    @classmethod
    def load(cls, *folders: Path) -> Operations:
        """The ``*.graphql`` files of ``folders`` (the shipped ones when none are given)."""
        found = []
        for folder in folders or (operations_root(),):
            if not folder.is_dir():
                raise InvalidInput(f"operations folder {folder} does not exist")
            for path in sorted(folder.glob("*.graphql")):
                op = operation(path.read_text(encoding="utf-8"), str(path))
                if op.name != path.stem:
                    raise InvalidInput(f"{path}: the operation is named {op.name}, not {path.stem}")
                found.append(op)
        return cls(found)

    @classmethod
    def of(cls, *texts: str) -> Operations:
        """Operations from documents in memory (tests, embedding apps)."""
        return cls([operation(text, f"document {i + 1}") for i, text in enumerate(texts)])

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def __getitem__(self, name: str) -> Operation:
        return self.by_name[name]
