"""Text pipeline: each normalisation phenomenon the engine relies on."""

from __future__ import annotations

from matchmaker.matching.text import (
    INTENT_WORDS,
    CompoundSplitter,
    TextAnalyzer,
    fold,
    raw_tokens,
    stem,
)


def test_umlaut_and_sharp_s_spellings_fold_together() -> None:
    assert fold("Kühlung") == fold("Kuehlung") == fold("Kuhlung") == "kuhlung"
    assert fold("Maß") == fold("Mass") == "mass"
    assert fold("GRÖSSE") == fold("Größe") == fold("Groesse")


def test_digraphs_after_vowels_or_q_are_kept() -> None:
    assert fold("Steuerung") == "steuerung"
    assert fold("Quelle") == "quelle"


def test_nfkc_and_casefold() -> None:
    assert fold("ＣＮＣ") == "cnc"
    assert fold("STRASSE") == fold("Straße")


def test_inflection_is_stemmed() -> None:
    stems = {stem(fold(w)) for w in ("Frästeil", "Frästeile", "Frästeilen", "Fraesteilen")}
    assert len(stems) == 1
    assert stem("bearings", "en") == stem("bearing", "en")


def test_hyphenated_word_keeps_whole_and_parts() -> None:
    (tok,) = raw_tokens("Kühl-Schmierstoff")
    assert tok.norm == "kuhlschmierstoff"
    assert tok.parts == ("kuhl", "schmierstoff")
    assert tok.surface == "Kühl-Schmierstoff"


def test_material_numbers_stay_one_token() -> None:
    assert [t.norm for t in raw_tokens("Blech 1.4301, 2 mm")] == ["blech", "1.4301", "2", "mm"]


def test_compound_splitter_uses_known_words() -> None:
    sp = CompoundSplitter(["kuhl", "schmierstoff", "lager", "flache", "palette", "stellplatz"])
    assert sp.split("kuhlschmierstoff") == ("kuhl", "schmierstoff")
    assert sp.split("lagerflache") == ("lager", "flache")
    # linking element (Fuge) and inflected head
    assert sp.split("palettenstellplatze") == ("paletten", "stellplatze")
    assert sp.split("unbekanntwort") == ()


def test_compound_and_split_phrasing_share_stems() -> None:
    an = TextAnalyzer(splitter=CompoundSplitter(["kuhl", "kuhlen", "schmierstoff"]))
    a = an.analyze("Kühlschmierstoff", "", "de")
    b = an.analyze("Schmierstoff zum Kühlen", "", "de")
    stems_a = {a[0].stem, *a[0].part_stems}
    stems_b = {t.stem for t in b}
    assert stems_b <= stems_a


def test_typos_are_read_as_known_words() -> None:
    an = TextAnalyzer(typo_vocab={"gabelstapler": 5, "edelstahl": 4})
    (tok,) = an.analyze("Gabelstabler", "", "de")
    assert tok.corrected == "gabelstapler"
    (tok,) = an.analyze("Edelsthal", "", "de")
    assert tok.corrected == "edelstahl"


def test_intent_and_stop_words_are_removed() -> None:
    an = TextAnalyzer()
    need = an.content_tokens("Wir suchen dringend und kurzfristig: Gabelstapler benötigt")
    offer = an.content_tokens("Bieten freie Kapazitäten, Gabelstapler ab sofort verfügbar")
    en = an.content_tokens("Looking for a forklift ASAP, urgently needed")
    assert [t.norm for t in need] == ["gabelstapler"]
    assert [t.norm for t in offer] == ["gabelstapler"]
    assert [t.norm for t in en] == ["forklift"]
    assert {"suchen", "bieten", "abzugeben", "available", "spare", "need"} <= INTENT_WORDS
