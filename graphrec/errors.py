"""The project's errors: one root, a few children that callers can tell apart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class GraphRecError(Exception):
    """Root of every error graphrec raises on purpose."""


class ConfigError(GraphRecError):
    """A setting is missing or has a value that cannot be used."""


class StoreError(GraphRecError):
    """The graph store failed or could not be reached."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (server down, wrong address, wrong credentials)."""


class StoreInUse(StoreUnavailable):
    """The embedded store is held by another process, its one writer (such as graphrec serve)."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class NotFound(GraphRecError):
    """A node asked for by id does not exist."""


class InvalidInput(GraphRecError):
    """Input that cannot be used as given: bad arguments, unknown formats, missing files."""


@dataclass(frozen=True)
class Problem:
    """One bad row or field in an input file, located precisely enough to fix it."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class InvalidData(InvalidInput):
    """An input file has bad rows; ``problems`` lists each one with file, line and field."""

    def __init__(self, problems: list[Problem], shown: int = 20) -> None:
        self.problems = problems
        head = "\n".join(f"  {p}" for p in problems[:shown])
        more = f"\n  ... and {len(problems) - shown} more" if len(problems) > shown else ""
        super().__init__(f"{len(problems)} invalid row(s); nothing was loaded:\n{head}{more}")
