"""What the compiled loops of the request path share: how they are compiled, and the named
structures they take (numba passes named tuples of arrays as they are)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import njit


def compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled, its machine code cached on disk where numba finds a writable
    place (beside the source, or the user's cache directory), else compiled at each start."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(nogil=True)(function)


class Csr(NamedTuple):
    """A sparse matrix's rows (scipy's CSR arrays): row i is ``indices[indptr[i]:indptr[i+1]]``
    with ``data`` alongside."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


class Scratch(NamedTuple):
    """Per-item working arrays, at rest between calls (each loop puts back what it changed)."""

    slot: np.ndarray  # int32 per item, -1 at rest
    evidence: np.ndarray  # float64 per item, 0 at rest


class ItemAttributes(NamedTuple):
    """Each item's brand and categories."""

    brand: np.ndarray  # int64 per item, -1 for none
    category_indptr: np.ndarray  # each item's categories (CSR, in the item's order)
    category_indices: np.ndarray


class ScratchArrays:
    """The kernels' scratch for as many items as ``count()`` says (made again when that
    changes); its users hold one lock while they use it."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count
        self.arrays = Scratch(np.zeros(0, dtype=np.int32), np.zeros(0))

    def __call__(self) -> Scratch:
        n = self.count()
        if len(self.arrays.slot) != n:
            self.arrays = Scratch(np.full(n, -1, dtype=np.int32), np.zeros(n))
        return self.arrays
