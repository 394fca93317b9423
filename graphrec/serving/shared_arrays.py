"""Arrays that every serving process on one machine would compute alike, computed once.

What a process derives from a model version and the store's data (the item and user vectors
aligned to memory, their unit vectors, every shopper's stored candidates) and from the data
alone (the co-interaction evidence between items, :class:`.live.LiveGraph`) is the same in
every worker started from the same data. The first to need it computes it and writes it as ``.npy``
files under the cache folder, named by a hash of everything it depends on; the others wait
for it (a file lock) and map the files into memory: the operating system then keeps one copy
for all of them. A process's own changes (a new item's vector) are copy-on-write, its own.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

#: Entries kept in the cache folder (the newest; older ones are removed as new ones come).
KEEP = 8
DONE = "done"


def fingerprint(parts: Iterable[object], tables: Iterable[pa.Table]) -> str:
    """A hash of ``parts`` (their text) and of the data of ``tables``."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(repr(part).encode())
    for table in tables:
        digest.update(table.schema.to_string().encode())
        for column in table.columns:
            for chunk in column.chunks:
                for buffer in chunk.buffers():
                    if buffer is not None:
                        digest.update(memoryview(buffer))
    return digest.hexdigest()


class SharedArrays:
    def __init__(self, folder: Path | None) -> None:
        """``folder``: the cache folder (None: every process computes its own)."""
        self.folder = folder

    def get(self, key: str, make: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The arrays under ``key``: mapped from the cache, else made (by ``make``) and kept."""
        if self.folder is None:
            return make()
        entry = self.folder / key
        if not (entry / DONE).exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / f"{key}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be making them
                if not (entry / DONE).exists():
                    self._keep(entry, make())
        return {
            path.stem: np.load(path, mmap_mode="c", allow_pickle=False)
            for path in sorted(entry.glob("*.npy"))
        }

    def _keep(self, entry: Path, arrays: dict[str, np.ndarray]) -> None:
        assert self.folder is not None
        making = entry.with_name(f"{entry.name}.making-{os.getpid()}")
        shutil.rmtree(making, ignore_errors=True)
        making.mkdir()
        for name, array in arrays.items():
            np.save(making / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        (making / DONE).touch()
        shutil.rmtree(entry, ignore_errors=True)
        making.rename(entry)
        self._prune(entry)

    def _prune(self, newest: Path) -> None:
        assert self.folder is not None
        entries = [p for p in self.folder.iterdir() if p.is_dir() and (p / DONE).exists()]
        entries.sort(key=lambda p: (p / DONE).stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            if old != newest:
                shutil.rmtree(old, ignore_errors=True)
                (self.folder / f"{old.name}.lock").unlink(missing_ok=True)
