"""Sparse storage helpers: growable columns, bare CSR rows and column-wise sparse products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .features import SparseVec

__all__ = ["Column", "Rows", "column_scores", "csr_of", "reduce_rows"]


class Column:
    """A growable numpy column (amortised O(1) append)."""

    def __init__(self, dtype: Any) -> None:
        self.data = np.zeros(64, dtype)
        self.n = 0

    def append(self, value: Any) -> None:
        if self.n == len(self.data):
            self.data = np.concatenate([self.data, np.zeros_like(self.data)])
        self.data[self.n] = value
        self.n += 1

    def view(self) -> NDArray[Any]:
        return self.data[: self.n]

    def replace(self, values: NDArray[Any]) -> None:
        self.data = np.array(values, dtype=self.data.dtype, copy=True)
        if len(self.data) == 0:
            self.data = np.zeros(64, self.data.dtype)
        self.n = len(values)


def csr_of(rows: Sequence[SparseVec], ncols: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, np.int64)
    if rows:
        indptr[1:] = np.cumsum([len(r.idx) for r in rows])
        idx = np.concatenate([r.idx for r in rows]) if indptr[-1] else np.zeros(0, np.int32)
        val = np.concatenate([r.val for r in rows]) if indptr[-1] else np.zeros(0, np.float32)
    else:
        idx, val = np.zeros(0, np.int32), np.zeros(0, np.float32)
    return sp.csr_matrix((val, idx, indptr), shape=(len(rows), ncols))


@dataclass(frozen=True)
class Rows:
    """Bare CSR arrays of a few rows (cheaper to build than a scipy matrix per query)."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    data: NDArray[np.float32]

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def row_sums(self) -> NDArray[np.float64]:
        return reduce_rows(np.add, self.data.astype(np.float64), self.indptr, 0, 0.0)

    @staticmethod
    def of(vec: SparseVec) -> Rows:
        return Rows(np.array([0, len(vec.idx)], np.int64), vec.idx, vec.val)

    @staticmethod
    def gather(mat: sp.csr_matrix, rows: NDArray[np.int64]) -> Rows:
        starts = mat.indptr[rows].astype(np.int64)
        lens = mat.indptr[rows + 1].astype(np.int64) - starts
        indptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lens, out=indptr[1:])
        total = int(indptr[-1])
        offsets = np.repeat(starts - indptr[:-1], lens) + np.arange(total)
        return Rows(indptr, mat.indices[offsets], mat.data[offsets])

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        if len(parts) == 1:
            return parts[0]
        indptr = [np.zeros(1, np.int64)]
        base = 0
        for p in parts:
            indptr.append(p.indptr[1:] + base)
            base += p.nnz
        return Rows(
            np.concatenate(indptr),
            np.concatenate([p.indices for p in parts]),
            np.concatenate([p.data for p in parts]),
        )


def column_scores(mat: sp.csc_matrix, q: SparseVec) -> NDArray[np.float64]:
    """mat @ q for a sparse q, touching only q's columns of the CSC matrix."""
    n = mat.shape[0]
    if not len(q.idx) or n == 0:
        return np.zeros(n)
    starts = mat.indptr[q.idx].astype(np.int64)
    lens = mat.indptr[q.idx + 1].astype(np.int64) - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(n)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
    weights = mat.data[offsets].astype(np.float64) * np.repeat(q.val.astype(np.float64), lens)
    return np.bincount(mat.indices[offsets], weights=weights, minlength=n).astype(np.float64)


def reduce_rows(
    ufunc: np.ufunc, values: NDArray[Any], indptr: NDArray[np.int64], axis: int, empty: float
) -> NDArray[np.float64]:
    """ufunc.reduceat over CSR row segments, with ``empty`` for rows without entries."""
    n_rows = len(indptr) - 1
    shape = list(values.shape)
    shape[axis] = n_rows
    out = np.full(shape, empty, np.float64)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(nonempty):
        red = ufunc.reduceat(values, indptr[nonempty], axis=axis)
        if axis == 0:
            out[nonempty] = red
        else:
            out[:, nonempty] = red
    return out
