"""Concept tagging: synonyms, translations, abbreviations, compounds and ambiguous words."""

from __future__ import annotations

from matchmaker.matching import Engine, PostingDoc


def _concepts(engine: Engine, title: str, **kw: object) -> dict[str, float]:
    doc = PostingDoc(id="x", kind="need", title=title, **kw)  # type: ignore[arg-type]
    return {c: h.weight for c, h in engine.analyze(doc).tagging.hits.items()}


def test_synonym_translation_and_abbreviation_hit_one_concept(engine: Engine) -> None:
    for text in ("Edelstahl", "rostfreier Stahl", "stainless steel", "V2A", "1.4301"):
        assert "stainless_steel" in _concepts(engine, text), text


def test_short_abbreviations_match_case_sensitively(engine: Engine) -> None:
    assert "aluminium" in _concepts(engine, "Bleche aus Al")
    assert "aluminium" not in _concepts(engine, "Bleche al dente")
    assert "ppe" in _concepts(engine, "PSA für 20 Mitarbeiter")


def test_compound_parts_are_tagged(engine: Engine) -> None:
    hits = _concepts(engine, "Edelstahlbleche")
    assert {"stainless_steel", "sheet_metal"} <= set(hits)


def test_ambiguous_word_resolved_by_context(engine: Engine) -> None:
    assert set(_concepts(engine, "Lager für 200 Paletten")) == {"storage"}
    assert set(_concepts(engine, "Lager für Welle, hohe Drehzahl")) == {"bearing"}


def test_ambiguous_word_resolved_by_category(engine: Engine) -> None:
    assert set(_concepts(engine, "Presse", category="services")) == {"press_relations"}
    assert set(_concepts(engine, "Presse", category="equipment")) == {"press_machine"}


def test_undecided_ambiguity_keeps_both_senses_weighted_low(engine: Engine) -> None:
    hits = _concepts(engine, "Lager")
    assert set(hits) == {"storage", "bearing"}
    assert all(w < 0.5 for w in hits.values())


def test_compound_fixes_the_sense_of_its_parts(engine: Engine) -> None:
    a = engine.analyze(PostingDoc(id="x", kind="offer", title="Kugellager 6204 abzugeben"))
    assert set(a.tagging.hits) == {"bearing"}
    assert a.tagging.senses == {"lag": "bearing"}


def test_cross_language_need_finds_english_offer(engine: Engine) -> None:
    engine.fit(
        [
            PostingDoc(id="n", kind="need", title="Gabelstapler gesucht", category="equipment"),
            PostingDoc(id="o1", kind="offer", title="Forklift for rent", language="en"),
            PostingDoc(id="o2", kind="offer", title="Office chairs for rent", language="en"),
        ]
    )
    (best, *_) = engine.rank(
        PostingDoc(id="n", kind="need", title="Gabelstapler gesucht", category="equipment")
    )
    assert best.id == "o1"
    links = best.explanation.to_dict()["concepts"]
    assert links[0]["concept"] == "forklift"
    assert links[0]["relation"] == "translation"


def test_bare_small_numbers_are_quantities_not_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from matchmaker.matching import load_thesaurus

    (tmp_path / "c.yaml").write_text(
        "concepts:\n  - id: sea_container\n    label: {de: Container, en: container}\n"
        '    de: [Seecontainer]\n    abbr: ["40\'", 40HC]\n',
        encoding="utf-8",
    )
    eng = Engine(thesaurus=load_thesaurus(tmp_path))
    assert _concepts(eng, "40 Kartons einlagern") == {}
    assert "sea_container" in _concepts(eng, "40HC gesucht")
