"""The evidence between items that serving reads its reasons from: the item-item relationships
stacked in one matrix, the evidence an item gives another, and each co-interaction's lowest
shopper, made from the live graph's matrices; as plain arrays, so that one machine's workers
share them (:mod:`.shared_arrays`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from graphrec.serving.compiled import Csr
from graphrec.serving.reason_kernels import lowest_common
from graphrec.serving.sparse import csr_rows

#: The item-item relationships, in the order of the codes :func:`derive_links` stacks them in.
LINKS = ("bought_with", "similar_to", "co_counts")

#: Makes arrays once per machine: ``shared(make)`` (see ``LiveGraph``).
Shared = Callable[[Callable[[], dict[str, np.ndarray]]], dict[str, np.ndarray]]


def derive_links(
    bought_with: sp.csr_matrix,
    similar_to: sp.csr_matrix,
    co_counts: sp.csr_matrix,
    item_users: sp.csr_matrix,
) -> dict[str, Any]:
    """The item-item relationships stacked (``LiveGraph.links``), the evidence an item gives
    another (``LiveGraph.evidence_links``), and each co-interaction's lowest shopper."""
    stacked = sp.hstack([bought_with, similar_to, co_counts], format="csr", dtype=np.float32)
    stacked.sort_indices()
    evidence = bought_with.maximum(co_counts * np.float32(0.5)).tocsr()
    evidence = evidence.astype(np.float64)  # the dtype the engine gathers it into
    evidence.data[evidence.data < 0] = 0.0
    evidence.eliminate_zeros()  # only real evidence: every stored value is positive
    evidence.sort_indices()
    # parallel to ``stacked``: each co-interaction's lowest-numbered shopper as loaded
    lowest = lowest_common(
        Csr(stacked.indptr, stacked.indices, stacked.data),
        LINKS.index("co_counts"),
        Csr(item_users.indptr, item_users.indices, item_users.data),
    )
    return {"stacked": stacked, "evidence": evidence, "lowest": lowest}


def to_arrays(made: dict[str, Any]) -> dict[str, np.ndarray]:
    """Sparse matrices as their three arrays (``NAME.indptr``, ...), arrays as they are."""
    out: dict[str, np.ndarray] = {}
    for name, value in made.items():
        if sp.issparse(value):
            for part in ("indptr", "indices", "data"):
                out[f"{name}.{part}"] = getattr(value, part)
        else:
            out[name] = value
    return out


def from_arrays(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int]) -> sp.csr_matrix:
    parts = (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"])
    matrix = sp.csr_matrix(parts, shape=shape, copy=False)
    matrix.has_sorted_indices = True  # as stored
    return matrix


def edges_matrix(table: pa.Table, value: str, index: dict[str, int]) -> sp.csr_matrix:
    """Stored item-item edges (``item_id``, ``other_id`` and ``value``) as an items x items
    matrix; edges naming an item not in ``index`` are left out."""
    n = len(index)
    if table.num_rows == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    src = [index.get(v) for v in table.column("item_id").to_pylist()]
    dst = [index.get(v) for v in table.column("other_id").to_pylist()]
    keep = [s is not None and d is not None for s, d in zip(src, dst, strict=True)]
    weights = table.column(value).to_numpy(zero_copy_only=False)
    rows = np.array([s for s, k in zip(src, keep, strict=True) if k], dtype=np.int64)
    cols = np.array([d for d, k in zip(dst, keep, strict=True) if k], dtype=np.int64)
    return csr_rows(rows, cols, weights[np.array(keep, dtype=bool)].astype(np.float32), n)
