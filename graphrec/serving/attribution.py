"""The attribution log: every answer served (its impression: model version, and per item its
position, id, score and slot kind) and every event that names the answer it came from, as JSON
lines under the log folder (``served.jsonl``, ``events.jsonl``), shoppers under a keyed
pseudonym. ``graphrec report lift`` reads them (:mod:`graphrec.serving.lift`).

The pseudonym is a keyed hash whose key is a secret: ``GRAPHREC_LOG_SECRET``, else one made at
random the first time and kept in the log folder (``.secret``, its owner's alone). Without the
secret nobody can tell which pseudonym is whose. A privacy delete removes the shopper's rows
(:meth:`AttributionLog.forget`)."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import orjson


class Attributed(Protocol):
    """An event as the log needs it."""

    @property
    def user_id(self) -> str: ...

    @property
    def item_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def recommendation_id(self) -> str | None: ...


SECRET_FILE = ".secret"
FILES = ("served.jsonl", "events.jsonl")
#: A log file is rotated past this size (``served.jsonl`` -> ``served.jsonl.1`` -> ``.2``...),
#: and the oldest of :data:`KEEP_ROTATED` rotated files is dropped.
ROTATE_BYTES = 64 * 2**20
KEEP_ROTATED = 5


def log_files(folder: Path, name: str) -> list[Path]:
    """A log's files, oldest first: its rotated ones, then the current one."""
    rotated = [folder / f"{name}.{n}" for n in range(KEEP_ROTATED, 0, -1)]
    return [path for path in [*rotated, folder / name] if path.is_file()]


def rotate(folder: Path, name: str) -> None:
    """Shift ``name.N`` to ``name.N+1`` (dropping the last) and ``name`` to ``name.1``."""
    oldest = folder / f"{name}.{KEEP_ROTATED}"
    oldest.unlink(missing_ok=True)
    for n in range(KEEP_ROTATED - 1, 0, -1):
        older = folder / f"{name}.{n}"
        if older.exists():
            os.replace(older, folder / f"{name}.{n + 1}")
    if (folder / name).exists():
        os.replace(folder / name, folder / f"{name}.1")


def log_secret(folder: Path, given: str = "") -> bytes:
    """The pseudonyms' key: ``given`` (GRAPHREC_LOG_SECRET), else the folder's own secret,
    made at random the first time (readable by its owner only)."""
    if given:
        return hashlib.blake2b(given.encode(), digest_size=32).digest()
    path = folder / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        made = secrets.token_bytes(32)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                out.write(made)
            return made
        except FileExistsError:  # another process made it first
            return path.read_bytes()


def impression(answer: Any) -> bytes:
    """What the served log keeps of an answer (:class:`.results.Recommendations`), as the
    inside of a JSON object: the model version, and per item in order (position 1 first) its
    id, score and slot kind (personalized, exploration, pinned, control, cold_start)."""
    shown = {
        "model": answer.model_version,
        "items": answer.item_ids,
        "scores": [round(float(s), 6) for s in answer.scores],
        "slots": answer.slots,
    }
    return orjson.dumps(shown)[1:-1]


class AttributionLog:
    def __init__(self, folder: Path | None, secret: str = "") -> None:
        """``folder``: where the files go (None: nothing is logged); ``secret``: the
        pseudonyms' key (empty: the folder's own)."""
        self.folder = folder
        self._key = log_secret(folder, secret) if folder is not None else b""
        self._files: dict[str, IO[bytes]] = {}

    def pseudonym(self, user_id: str) -> str:
        return hashlib.blake2b(user_id.encode(), digest_size=8, key=self._key).hexdigest()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing is logged meanwhile (a server's warm-up answers)."""
        folder, self.folder = self.folder, None
        try:
            yield
        finally:
            self.folder = folder

    def _append(self, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._append_lines(name, b"".join(orjson.dumps(row) + b"\n" for row in rows))

    def _append_lines(self, name: str, lines: bytes) -> None:
        if self.folder is None:
            return
        out = self._files.get(name)
        if out is not None:
            status = os.fstat(out.fileno())
            if status.st_size > ROTATE_BYTES:
                out.close()
                rotate(self.folder, name)
                out = None
            elif status.st_nlink == 0 or not (self.folder / name).exists():
                out.close()  # replaced or rotated (maybe by another process): reopen
                out = None
        if out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            # unbuffered: each call is one write of whole lines, so a crash loses no answer
            out = self._files[name] = (self.folder / name).open("ab", buffering=0)
        out.write(lines)

    def close(self) -> None:
        for out in self._files.values():
            out.close()
        self._files.clear()

    def served(self, answer: Any) -> None:
        """A ``recommendations`` answer (:class:`graphrec.serving.results.Recommendations`)."""
        self.answer(
            answer.recommendation_id, answer.user_id, answer.strategy.value, impression(answer)
        )

    def answer(self, rec_id: str, user_id: str, group: str, shown: bytes) -> None:
        """An answer's impression: ``shown`` from :func:`impression` (kept with a reused
        answer, logged again under its new id)."""
        head = {"rec": rec_id, "user": self.pseudonym(user_id), "group": group}
        row = orjson.dumps(head)[:-1] + b',"ts":%d,' % int(time.time()) + shown + b"}"
        self._append_lines("served.jsonl", row + b"\n")

    def events(self, events: Sequence[Attributed], stamps: list[int]) -> None:
        """The events that name an answer, at their times ``stamps``."""
        self._append(
            "events.jsonl",
            [
                {
                    "rec": e.recommendation_id,
                    "user": self.pseudonym(e.user_id),
                    "item": e.item_id,
                    "kind": e.kind,
                    "ts": ts,
                }
                for e, ts in zip(events, stamps, strict=True)
                if e.recommendation_id
            ],
        )

    def forget(self, user_id: str) -> int:
        """Remove the shopper's rows from every log file (each rewritten whole and swapped in;
        processes appending to it reopen it). How many rows went."""
        if self.folder is None:
            return 0
        mine = b'"user":"' + self.pseudonym(user_id).encode() + b'"'
        removed = 0
        for path in (p for name in FILES for p in log_files(self.folder, name)):
            name = path.name
            lines = path.read_bytes().splitlines(keepends=True)
            kept = [line for line in lines if mine not in line]
            if len(kept) == len(lines):
                continue
            removed += len(lines) - len(kept)
            fresh = path.with_name(f"{name}.{os.getpid()}.new")
            fresh.write_bytes(b"".join(kept))
            os.replace(fresh, path)
        return removed
