"""The encoder layer: protocol, embedded default, local sentence-transformers model, cache."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from matchmaker.config import ConfigError, load_settings
from matchmaker.matching.encoder import (
    CachedEncoder,
    Encoder,
    EncoderError,
    UseEncoder,
    make_encoder,
    shared_encoder,
)


class LetterEncoder:
    """A real, deterministic encoder over letter counts (tests the cache, not meaning)."""

    name = "letters"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for ch in t:
                out[i, zlib.crc32(ch.encode()) % self.dim] += 1.0
        return out


@pytest.fixture(scope="module")
def default_encoder() -> CachedEncoder:
    enc = make_encoder("default")
    assert enc is not None
    return enc


def test_default_encoder_gives_unit_float32_rows_and_meets_across_languages(
    default_encoder: CachedEncoder,
) -> None:
    assert isinstance(default_encoder.inner, UseEncoder)
    assert isinstance(default_encoder, Encoder)
    texts = ["Gabelstapler zu vermieten", "forklift truck for rent", "Kaffee und Kuchen"]
    v = default_encoder.encode(texts)
    assert v.dtype == np.float32 and v.shape == (3, default_encoder.dim)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=2e-3)
    same, other = float(v[0] @ v[1]), float(v[0] @ v[2])
    assert same > other + 0.2
    assert default_encoder.encode([]).shape == (0, default_encoder.dim)


def test_cache_encodes_a_text_once_and_keeps_float16() -> None:
    inner = LetterEncoder()
    enc = CachedEncoder(inner, maxsize=3)
    first = enc.encode(["abc", "abd", "abc"])
    assert inner.calls == [["abc", "abd"]]
    assert np.array_equal(first[0], first[2])
    again = enc.encode(["abd", "abc"])
    assert inner.calls == [["abc", "abd"]] and enc.encoded == 2
    assert np.array_equal(again[1], first[0])
    assert enc.encode16(["abc"]).dtype == np.float16
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=2e-3)
    enc.encode(["x", "y"])  # evicts the least recently used ("abd")
    assert len(enc) == 3
    enc.encode(["abd"])
    assert inner.calls[-1] == ["abd"]


def test_shared_encoder_is_built_once_per_setting() -> None:
    assert shared_encoder("none") is None
    first = shared_encoder("default")
    assert first is not None and shared_encoder("default") is first


def test_cache_rejects_a_backend_of_the_wrong_shape() -> None:
    class Broken(LetterEncoder):
        def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
            return np.zeros((len(texts), 3), np.float32)

    with pytest.raises(EncoderError, match="shape"):
        CachedEncoder(Broken()).encode(["a"])


def test_make_encoder_settings(tmp_path: Path) -> None:
    assert make_encoder("none") is None
    with pytest.raises(EncoderError, match="unknown encoder"):
        make_encoder("word2vec")
    with pytest.raises(EncoderError, match="MATCHMAKER_ENCODER_PATH"):
        make_encoder("sentence-transformers", "")
    with pytest.raises(EncoderError, match="not a folder"):
        make_encoder("sentence-transformers", tmp_path / "missing")
    with pytest.raises(EncoderError, match="no sentence-transformers model"):
        make_encoder("sentence-transformers", tmp_path)


def test_settings_need_a_path_for_sentence_transformers(tmp_path: Path) -> None:
    assert load_settings(encoder="none").encoder == "none"
    assert load_settings().encoder == "default"
    with pytest.raises(ConfigError, match="MATCHMAKER_ENCODER_PATH"):
        load_settings(encoder="sentence-transformers")
    ok = load_settings(encoder="sentence-transformers", encoder_path=str(tmp_path))
    assert ok.encoder_path == str(tmp_path)
    with pytest.raises(ConfigError):
        load_settings(encoder="bert")


def _tiny_model(folder: Path) -> Path:
    """A sentence-transformers model built here from a random tiny BERT (nothing downloaded)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    letters = "abcdefghijklmnopqrstuvwxyzäöüß"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *letters, *(f"##{c}" for c in letters)]
    hf = folder / "hf"
    hf.mkdir(parents=True)
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    word = models.Transformer(str(hf), max_seq_length=32)
    pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    target = folder / "model"
    SentenceTransformer(modules=[word, pool], device="cpu").save(str(target))
    return target


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sentence_transformers_backend_loads_a_local_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    path = _tiny_model(tmp_path)
    enc = make_encoder("sentence-transformers", path)
    assert enc is not None and enc.dim == 16
    assert enc.name == "sentence-transformers:model"
    v = enc.encode(["edelstahl", "aluminium", "edelstahl"])
    assert v.shape == (3, 16) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=2e-3)
    assert np.allclose(v[0], v[2]) and not np.allclose(v[0], v[1])
    assert enc.encoded == 2
    (path / "model.safetensors").unlink()
    with pytest.raises(EncoderError, match="cannot load"):
        make_encoder("sentence-transformers", path)
