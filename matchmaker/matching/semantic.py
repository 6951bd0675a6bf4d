"""Dense sentence vectors of one side of the index: float16 rows, sign codes for candidate search.

Why two forms: a float32 matrix-vector product over 100k × 512 rows is memory-bound (~70 ms on one
core here), far over the 20 ms budget for ranking a new posting. The rows are kept as float16 (half
the memory; cosine off by < 1e-3) and, for candidate search on large sides, as packed sign bits of
the mean-centred vectors (64 bytes a row): Hamming distances over 100k rows take a few ms, the best
``dense_candidates`` by Hamming are then scored exactly from the float16 rows. Sides up to
``exact_limit`` rows are scored exactly for every row (no approximation at all).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["DenseRows"]

_CHUNK = 8192


def _pack(v: NDArray[np.floating], mean: NDArray[np.float32]) -> NDArray[np.uint64]:
    bits = np.packbits((v.astype(np.float32) - mean) > 0, axis=1)
    pad = (-bits.shape[1]) % 8
    if pad:
        bits = np.pad(bits, ((0, 0), (0, pad)))
    return np.ascontiguousarray(bits).view(np.uint64)


class DenseRows:
    """Growable float16 matrix aligned with a side's row numbers, plus its sign codes."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.n = 0
        self._vec = np.zeros((64, dim), np.float16)
        self._mean = np.zeros(dim, np.float32)
        # sign codes word-major (words x rows): the Hamming sum runs over long contiguous rows
        self._codes = np.zeros(((dim + 63) // 64, 64), np.uint64)

    @property
    def nbytes(self) -> int:
        return int(self._vec[: self.n].nbytes + self._codes[:, : self.n].nbytes)

    def view(self) -> NDArray[np.float16]:
        return self._vec[: self.n]

    def append(self, vec: NDArray[np.floating]) -> None:
        rows = np.asarray(vec, np.float16).reshape(-1, self.dim)
        need = self.n + len(rows)
        if need > len(self._vec):
            size = max(need, 2 * len(self._vec))
            grown = np.zeros((size, self.dim), np.float16)
            grown[: self.n] = self._vec[: self.n]
            codes = np.zeros((self._codes.shape[0], size), np.uint64)
            codes[:, : self.n] = self._codes[:, : self.n]
            self._vec, self._codes = grown, codes
        self._vec[self.n : need] = rows
        self._codes[:, self.n : need] = _pack(rows, self._mean).T
        self.n = need

    def keep(self, rows: NDArray[np.int64]) -> None:
        """Keep only these rows, in this order (compaction), and re-centre the sign codes."""
        vec = np.array(self._vec[rows], np.float16)
        self._mean = (
            vec.astype(np.float32).mean(axis=0) if len(vec) else np.zeros(self.dim, np.float32)
        )
        self.n = 0
        self._vec = np.zeros((max(64, len(vec)), self.dim), np.float16)
        self._codes = np.zeros((self._codes.shape[0], len(self._vec)), np.uint64)
        self.append(vec)

    def cosine(self, q: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Exact cosine of the unit query with the given rows."""
        if not len(rows):
            return np.zeros(0)
        return np.asarray(self._vec[rows].astype(np.float32) @ q, np.float64)

    def cosine_all(self, q: NDArray[np.float32]) -> NDArray[np.float64]:
        """Exact cosine with every row (chunked, so no full float32 copy is made)."""
        out = np.empty(self.n)
        for lo in range(0, self.n, _CHUNK):
            hi = min(lo + _CHUNK, self.n)
            out[lo:hi] = self._vec[lo:hi].astype(np.float32) @ q
        return out

    def nearest(self, q: NDArray[np.float32], m: int) -> NDArray[np.int64]:
        """About the ``m`` rows most similar to ``q``, by Hamming distance of the sign codes."""
        if self.n <= m:
            return np.arange(self.n, dtype=np.int64)
        code = _pack(q[None, :], self._mean)[0]
        dist = np.zeros(self.n, np.uint16)
        for w in range(len(code)):
            dist += np.bitwise_count(self._codes[w, : self.n] ^ code[w])
        return np.argpartition(dist, m - 1)[:m].astype(np.int64)

    def as_float32(self) -> NDArray[np.float32]:
        """All rows as float32 (for the block products of a full rematch)."""
        return self._vec[: self.n].astype(np.float32)
