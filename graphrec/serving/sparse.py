"""Small operations on the live graph's sparse matrices (CSR)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def csr_rows(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def grow(matrix: sp.csr_matrix, n: int, square: bool) -> sp.csr_matrix:
    rows, cols = matrix.shape
    grown = sp.csr_matrix(
        (matrix.data, matrix.indices, np.append(matrix.indptr, [matrix.indptr[-1]] * (n - rows))),
        shape=(n, n if square else cols),
    )
    return grown


def top_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's ``k`` largest entries, indices sorted."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    lengths = np.diff(indptr)
    if (lengths <= k).all():
        out = matrix.copy()
        out.sort_indices()
        return out
    rows, cols, vals = [], [], []
    for row in np.flatnonzero(lengths):
        start, end = indptr[row], indptr[row + 1]
        values = data[start:end]
        keep = np.argpartition(-values, k)[:k] if end - start > k else np.arange(end - start)
        rows.append(np.full(len(keep), row))
        cols.append(indices[start:end][keep])
        vals.append(values[keep])
    return csr_rows(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), matrix.shape[0]
    )
