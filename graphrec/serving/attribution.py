"""The attribution log: every answer served and every event that names the answer it came
from, as JSON lines under the log folder (``served.jsonl``, ``events.jsonl``), shoppers under a
keyed pseudonym. ``graphrec report lift`` reads them (:mod:`graphrec.serving.lift`)."""

from __future__ import annotations

import hashlib
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


def pseudonym(user_id: str) -> str:
    return hashlib.blake2b(user_id.encode(), digest_size=8, key=b"graphrec-log").hexdigest()


class AttributionLog:
    def __init__(self, folder: Path | None) -> None:
        """``folder``: where the files go (None: nothing is logged)."""
        self.folder = folder
        self._files: dict[str, IO[bytes]] = {}

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing is logged meanwhile (a server's warm-up answers)."""
        folder, self.folder = self.folder, None
        try:
            yield
        finally:
            self.folder = folder

    def _append(self, name: str, rows: list[dict[str, Any]]) -> None:
        if self.folder is None or not rows:
            return
        out = self._files.get(name)
        if out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            # unbuffered: each call is one write of whole lines, so a crash loses no answer
            out = self._files[name] = (self.folder / name).open("ab", buffering=0)
        out.write(b"".join(orjson.dumps(row) + b"\n" for row in rows))

    def close(self) -> None:
        for out in self._files.values():
            out.close()
        self._files.clear()

    def served(self, answer: Any) -> None:
        """A ``recommendations`` answer (:class:`graphrec.serving.results.Recommendations`)."""
        self.answer(
            answer.recommendation_id, answer.user_id, answer.strategy.value, answer.item_ids
        )

    def answer(self, rec_id: str, user_id: str, group: str, items: Sequence[str]) -> None:
        row = {
            "rec": rec_id,
            "user": pseudonym(user_id),
            "group": group,
            "items": items,
            "ts": int(time.time()),
        }
        self._append("served.jsonl", [row])

    def events(self, events: Sequence[Attributed], stamps: list[int]) -> None:
        """The events that name an answer, at their times ``stamps``."""
        self._append(
            "events.jsonl",
            [
                {
                    "rec": e.recommendation_id,
                    "user": pseudonym(e.user_id),
                    "item": e.item_id,
                    "kind": e.kind,
                    "ts": ts,
                }
                for e, ts in zip(events, stamps, strict=True)
                if e.recommendation_id
            ],
        )
