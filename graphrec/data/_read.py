"""Reading input files row by row with exact locations for every problem found.

Every loader collects :class:`~graphrec.errors.Problem` s instead of stopping at the first: the
user sees all bad rows at once, and with ``--skip-invalid`` the good rows still load.
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from graphrec.errors import InvalidInput, Problem


class Problems:
    """The problems of one load, in the order found."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, file: Path | str, line: int | None, field: str | None, message: str) -> None:
        self.found.append(Problem(str(file), line, field, message))

    def __len__(self) -> int:
        return len(self.found)


def require_file(path: Path, what: str) -> Path:
    if not path.exists():
        raise InvalidInput(f"{what} not found: {path}")
    if not path.is_file():
        raise InvalidInput(f"{what} is not a file: {path}")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{what} is empty: {path}")
    return path


#: The longest line read (a longer one is a problem, skipped without being held in memory).
MAX_LINE = 1 << 20
#: Unix seconds from year 1 to year 9999.
TS_RANGE = (-62_135_596_800, 253_402_300_799)


def read_lines(
    path: Path, problems: Problems, encoding: str = "utf-8"
) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers. A line that does not decode, one longer
    than :data:`MAX_LINE` and a last line without its line break (a file cut short) are
    problems."""
    with path.open("rb") as raw:
        number = 0
        while data := raw.readline(MAX_LINE + 1):
            number += 1
            if len(data) > MAX_LINE and not data.endswith(b"\n"):
                while (rest := raw.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass  # the rest of the line, read and dropped
                problems.add(path, number, None, f"is longer than {MAX_LINE:,} bytes")
                continue
            if not data.endswith(b"\n") and data.strip():
                problems.add(
                    path,
                    number,
                    None,
                    "ends without a line break: the file may have been cut here (if the line "
                    "is whole, end it with one)",
                )
                continue
            try:
                line = data.decode(encoding)
            except UnicodeDecodeError as e:
                problems.add(
                    path,
                    number,
                    None,
                    f"not valid {encoding}: byte 0x{data[e.start]:02x} at column "
                    f"{e.start + 1} (is the file in another encoding?)",
                )
                continue
            line = line.rstrip("\r\n")
            if line.strip():
                yield number, line


def read_records(
    path: Path,
    problems: Problems,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    delimiter: str | None = None,
    encoding: str = "utf-8",
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a delimited file with a header, as dicts of the known columns.

    The delimiter is taken from the extension (``.tsv`` tab, else comma) unless given. A row
    with the wrong number of fields is a problem, not a crash.
    """
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    lines = read_lines(path, problems, encoding)
    first = next(lines, None)
    if first is None:
        raise InvalidInput(f"{path} holds no rows")
    header = [name.strip().lower() for name in next(csv.reader([first[1]], delimiter=delimiter))]
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(f"{path}: header line lacks column(s) {missing}; it has {header}")
    wanted = [(header.index(name), name) for name in (*required, *optional) if name in header]
    tab = delimiter == "\t"
    for number, line in lines:
        try:
            if tab:  # TSV as the datasets write it: no quoting at all
                fields = next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE))
            else:
                fields = next(csv.reader([line], delimiter=delimiter))
        except csv.Error as e:
            problems.add(path, number, None, f"cannot be read: {e}")
            continue
        if len(fields) != len(header):
            problems.add(
                path, number, None, f"has {len(fields)} field(s), the header has {len(header)}"
            )
            continue
        yield number, {name: fields[index].strip() for index, name in wanted}


def read_parquet_records(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a Parquet file as string dicts, numbered from 1, checked like a CSV's."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise InvalidInput(f"{path} is not a readable Parquet file: {e}") from e
    names = [name.lower() for name in table.schema.names]
    table = table.rename_columns(names)
    missing = [name for name in required if name not in names]
    if missing:
        raise InvalidInput(f"{path}: lacks column(s) {missing}; it has {names}")
    if table.num_rows == 0:
        raise InvalidInput(f"{path} holds no rows")
    keep = [name for name in (*required, *optional) if name in names]
    for number, row in enumerate(table.select(keep).to_pylist(), start=1):
        yield number, {k: "" if v is None else _plain(v) for k, v in row.items()}


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_int(text: str) -> int:
    return int(text)


def parse_float(text: str) -> float | None:
    if text == "":
        return None
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def parse_bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered == "":
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected one of {sorted(_TRUE | _FALSE)}")


def parse_timestamp(text: str) -> int:
    """Unix seconds, or an ISO-8601 date/time (UTC unless it names a zone)."""
    if re.fullmatch(r"-?\d+", text):
        ts = int(text)
        if not TS_RANGE[0] <= ts <= TS_RANGE[1]:
            raise ValueError("Unix seconds out of range (years 1 to 9999)")
        return ts
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("expected Unix seconds or an ISO-8601 date/time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


_KIND = re.compile(r"[a-z][a-z0-9_]*")


def parse_kind(text: str) -> str:
    kind = text.lower()
    if not _KIND.fullmatch(kind):
        raise ValueError("expected a lower-case word such as view, cart, purchase or rating")
    return kind


def brand_id(name: str) -> str:
    """A brand's id: its name without HTML entities, case-folded, spaces collapsed."""
    return " ".join(html.unescape(name).casefold().split())


def category_id(path: list[str]) -> str:
    """A category's id is its whole path from the root, so equal names in two branches differ."""
    return " > ".join(path)


class CatalogueBuilder:
    """Collects categories (as a tree), brands and their links to items, each once."""

    def __init__(self) -> None:
        self.categories: dict[str, str] = {}
        self.parents: dict[str, str] = {}
        self.brands: dict[str, str] = {}
        self.item_categories: list[tuple[str, str]] = []
        self.item_brands: list[tuple[str, str]] = []
        self._item_category_seen: set[tuple[str, str]] = set()

    def add_path(self, item_id: str, path: list[str]) -> None:
        """Link the item to the leaf of ``path``, creating the path's categories as needed."""
        path = [part.strip() for part in path if part.strip()]
        if not path:
            return
        for depth in range(1, len(path) + 1):
            node = category_id(path[:depth])
            self.categories.setdefault(node, path[depth - 1])
            if depth > 1:
                self.parents.setdefault(node, category_id(path[: depth - 1]))
        pair = (item_id, category_id(path))
        if pair not in self._item_category_seen:
            self._item_category_seen.add(pair)
            self.item_categories.append(pair)

    def add_brand(self, item_id: str, name: str) -> None:
        name = html.unescape(name).strip()
        if not name:
            return
        key = brand_id(name)
        self.brands.setdefault(key, name)
        self.item_brands.append((item_id, key))

    def tables(self) -> dict[str, pa.Table]:
        return {
            "categories": pa.table(
                {"id": list(self.categories), "name": list(self.categories.values())}
            ),
            "category_parents": pa.table(
                {"category_id": list(self.parents), "parent_id": list(self.parents.values())}
            ),
            "brands": pa.table({"id": list(self.brands), "name": list(self.brands.values())}),
            "item_categories": pa.table(
                {
                    "item_id": [p[0] for p in self.item_categories],
                    "category_id": [p[1] for p in self.item_categories],
                }
            ),
            "item_brands": pa.table(
                {
                    "item_id": [p[0] for p in self.item_brands],
                    "brand_id": [p[1] for p in self.item_brands],
                }
            ),
        }
