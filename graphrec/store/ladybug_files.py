"""The embedded store's database files while a process has them open: the LadybugDB database
and its one connection, watched for the faults that files have.

- **The disk is almost full**: writes are refused (:class:`StoreUnavailable`) while less than
  ``min_free_mb`` is free to the store (on the file system, and under the process's file size
  limit), and never less than a checkpoint may need (the store file grows when the log is
  folded into it), before LadybugDB meets a full disk; they go on by themselves once there is
  room.
- **A write fails anyway** (the disk filled between the check and the write, an I/O error): a
  failed write-ahead log write leaves a database that aborts the process at its next statement,
  even a ROLLBACK or a close. It is abandoned: never used or closed again in this process, every
  statement fails with :class:`StoreUnavailable` and ``/ready`` says to restart. At the next
  open, a log whose last record was torn by the failed write (LadybugDB: "the WAL file is
  corrupted") is kept aside as ``store.wal.damaged-TIME`` and replayed up to that record: the
  torn record is the failed transaction's, never an acknowledged one.
- **A commit whose checkpoint failed**: LadybugDB reports it committed and durable (its log is
  on disk); it counts as committed, and the database is opened again before the next statement.
- **The file is moved or removed** while open: nothing touches it (writing would leave a stale
  log beside the old path); every statement fails with :class:`StoreUnavailable` until the file
  is back where it was.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import ladybug

from graphrec.errors import StoreError, StoreUnavailable

#: LadybugDB's words for a commit whose log is durable but whose checkpoint failed.
COMMITTED_BUT_NOT_CHECKPOINTED = "Transaction committed successfully"
#: Words of LadybugDB's errors that come from the files, not from the statement.
FILE_FAULTS = ("IO exception", "Cannot write", "No space left", "File too large", "WAL")
#: LadybugDB's words when the log's last record does not check.
TORN_LOG = ("WAL file is corrupted", "WAL replay")
#: A checkpoint grows the store file by up to about this many times the log it folds in (2.8
#: MB for 1 MB, measured): the room kept for writes is at least this much.
CHECKPOINT_GROWTH = 4
#: Seconds between attempts to open the database again after a fault.
RETRY_SECONDS = 1.0
#: Databases abandoned after a file fault: kept referenced, so that nothing closes them.
_ABANDONED: list[Any] = []

log = logging.getLogger(__name__)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class EmbeddedFiles:
    """Open with :meth:`open`; every statement through :meth:`execute`."""

    def __init__(
        self,
        path: Path,
        buffer_pool_mb: int,
        threads: int,
        read_only: bool,
        min_free_mb: int = 64,
        checkpoint_kb: int = 1024,
    ) -> None:
        self.path = path
        self.wal = path.with_name(path.name + ".wal")
        self.min_free = min_free_mb * 1024 * 1024
        self.buffer_pool_mb, self.threads, self.read_only = buffer_pool_mb, threads, read_only
        self.checkpoint_bytes = checkpoint_kb * 1024
        self._db: Any = None
        self._conn: Any = None
        self._identity: tuple[int, int] | None = None
        #: why the open database must be opened again before its next statement, and when we
        #: last tried; ``abandoned``: why it may never be used again in this process
        self.fault: str | None = None
        self.abandoned: str | None = None
        self._last_attempt = 0.0

    def open(self) -> None:
        """Open the database (RuntimeError as LadybugDB raises it), replaying a log with a
        torn last record up to it."""
        try:
            self._db = self._database(strict=True)
        except RuntimeError as e:
            if not any(words in str(e) for words in TORN_LOG) or not self.wal.exists():
                raise
            if not self.read_only:
                kept = self.wal.with_name(f"{self.wal.name}.damaged-{int(time.time())}")
                shutil.copy2(self.wal, kept)
                log.warning(
                    "the embedded store's write-ahead log ends in a torn record (a write that "
                    "failed, never acknowledged); replayed up to it, the log kept as %s (%s)",
                    kept,
                    e,
                )
            self._db = self._database(strict=False)
        self._conn = ladybug.Connection(self._db)
        self._identity = _identity(self.path)

    def _database(self, strict: bool) -> Any:
        return ladybug.Database(
            str(self.path),
            buffer_pool_size=self.buffer_pool_mb * 1024 * 1024,
            max_num_threads=self.threads,
            read_only=self.read_only,
            throw_on_wal_replay_failure=strict,
            checkpoint_threshold=self.checkpoint_bytes,
        )

    def close(self) -> None:
        if self.abandoned is not None:  # closing it would abort the process
            _ABANDONED.append((self._conn, self._db))
        elif self._conn is not None:
            self._conn.close()
            self._db.close()
        self._conn = self._db = None

    def space_problem(self) -> str | None:
        """What stops a write now: too little room for the store's files, else None."""
        if self.min_free <= 0:
            return None
        stat = os.statvfs(self.path.parent)
        room = stat.f_bavail * stat.f_frsize
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:  # this process may not grow a file past it
            largest = max(
                (p.stat().st_size for p in (self.path, self.wal) if p.exists()), default=0
            )
            room = min(room, limit - largest)
        floor = max(self.min_free, CHECKPOINT_GROWTH * self.checkpoint_bytes)
        if room >= floor:
            return None
        return (
            f"the disk is almost full: {max(room, 0) / 2**20:.1f} MB free for the embedded store "
            f"at {self.path}; writes are refused below {floor / 2**20:.1f} MB "
            "(GRAPHREC_LADYBUG_MIN_FREE_MB, at least 4 x GRAPHREC_LADYBUG_CHECKPOINT_KB) and go "
            "on when there is room"
        )

    def execute(self, statement: str, params: dict[str, Any]) -> Any:
        """Run one statement (the caller holds the store's lock). A ROLLBACK after a fault has
        nothing to undo: the connection with the transaction was dropped."""
        if self.abandoned is not None:
            if statement == "ROLLBACK":  # of the transaction that failed: gone with it
                return None
            raise StoreUnavailable(self.abandoned)
        self._check_files()
        if self.fault is not None:  # opened again, or a retry each second until it opens
            self._reopen()
            if statement == "ROLLBACK":
                return None
        if self._conn is None:
            raise StoreUnavailable(f"the embedded store at {self.path} is closed")
        try:
            return self._conn.execute(statement, params)
        except RuntimeError as e:
            text = str(e)
            if statement == "COMMIT" and COMMITTED_BUT_NOT_CHECKPOINTED in text:
                self.fault = text  # durable: open again before the next statement
                return None
            if any(words in text for words in FILE_FAULTS):
                self.abandoned = (
                    f"the embedded store at {self.path} failed to write its files (is the disk "
                    f"full?); writes are refused until graphrec is restarted with room on the "
                    f"disk (nothing acknowledged is lost): {text}"
                )
                raise StoreUnavailable(self.abandoned) from e
            raise StoreError(f"embedded store query failed: {e}\n  query: {statement[:200]}") from e

    def _check_files(self) -> None:
        if _identity(self.path) != self._identity:
            raise StoreUnavailable(
                f"the embedded store's file {self.path} was moved or removed while in use: put "
                "it back, or restart graphrec with the store's new path (GRAPHREC_STORE)"
            )

    def _reopen(self) -> None:
        if time.monotonic() - self._last_attempt < RETRY_SECONDS:
            raise StoreUnavailable(f"the embedded store at {self.path} failed: {self.fault}")
        self._last_attempt = time.monotonic()
        try:  # the faulty connection runs no statement again; closing it is safe
            self.close()
        except RuntimeError:
            self._conn = self._db = None
        try:
            self.open()
        except RuntimeError as e:
            self.fault = str(e)
            raise StoreUnavailable(
                f"the embedded store at {self.path} cannot be opened again after a fault "
                f"(is the disk full?): {e}"
            ) from e
        self.fault = None
