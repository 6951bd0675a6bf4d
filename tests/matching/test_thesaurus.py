"""Thesaurus loader: valid folders, clear errors for invalid content, reloading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matchmaker.matching import ThesaurusError, load_thesaurus

from .conftest import FIXTURES, REAL_THESAURUS


def test_fixture_thesaurus_loads(thesaurus) -> None:  # type: ignore[no-untyped-def]
    assert "stainless_steel" in thesaurus
    assert thesaurus["stainless_steel"].abbr[-1] == "1.4301"
    assert dict(thesaurus.ancestors("stainless_steel")) == {"steel": 1, "metal": 2}
    assert thesaurus.conflict("stainless_steel", "aluminium") == "metal_alloy"
    assert thesaurus.conflict("stainless_steel", "steel") is None


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "th"
    shutil.copytree(FIXTURES / "thesaurus", dst)
    return dst


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_unknown_broader_names_file_and_concept(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _write(
        d / "zz.yaml",
        "concepts:\n  - id: widget\n    label: {de: Ding, en: widget}\n"
        "    broader: gadget\n    de: [Ding]\n    en: [widget]\n",
    )
    with pytest.raises(ThesaurusError, match=r"zz\.yaml: concept 'widget'.*'gadget'"):
        load_thesaurus(d)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _write(d / "bad.yaml", "concepts:\n  - id: x\n    label: {de: [unclosed\n")
    with pytest.raises(ThesaurusError, match=r"bad\.yaml: line \d+: invalid YAML"):
        load_thesaurus(d)


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _write(d / "dup.yaml", "concepts:\n  - id: steel\n    label: {de: S, en: S}\n    de: [S]\n")
    with pytest.raises(
        ThesaurusError, match=r"concept 'steel': duplicate id.*(dup|materials)\.yaml"
    ):
        load_thesaurus(d)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - id: a\n    label: {de: A, en: A}\n    de: [A]\n    realted: [b]\n", "unknown key"),
        ("  - id: a\n    label: {de: A, en: A}\n    de: [1.5]\n", "quote numbers"),
        ("  - id: a\n    label: {de: A, en: A}\n", "no terms"),
        ("  - id: a\n    label: {de: A, en: A}\n    de: [A]\n    categories: [food]\n", "category"),
        ("  - id: a\n    label: {de: A, en: A}\n    de: [A]\n    group: nope\n", "group 'nope'"),
        ("  - id: Bad-Id\n    label: {de: A, en: A}\n    de: [A]\n", "identifier"),
        ("  - id: a\n    de: [A]\n", "missing 'label'"),
    ],
)
def test_invalid_concepts_are_reported(tmp_path: Path, body: str, message: str) -> None:
    d = _copy(tmp_path)
    _write(d / "x.yaml", "concepts:\n" + body)
    with pytest.raises(ThesaurusError, match=message) as info:
        load_thesaurus(d)
    assert "x.yaml" in str(info.value)


def test_broader_cycle_is_reported(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _write(
        d / "cyc.yaml",
        "concepts:\n"
        "  - id: a\n    label: {de: A, en: A}\n    de: [A]\n    broader: b\n"
        "  - id: b\n    label: {de: B, en: B}\n    de: [B]\n    broader: a\n",
    )
    with pytest.raises(ThesaurusError, match="cycle"):
        load_thesaurus(d)


def test_reload_picks_up_edits(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    before = load_thesaurus(d)
    assert "gadget" not in before
    _write(
        d / "new.yaml", "concepts:\n  - id: gadget\n    label: {de: G, en: G}\n    de: [Gerät]\n"
    )
    after = load_thesaurus(d)
    assert "gadget" in after
    assert len(after) == len(before) + 1


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ThesaurusError, match="no such"):
        load_thesaurus(tmp_path / "nope")


@pytest.mark.skipif(not REAL_THESAURUS.is_dir(), reason="data/thesaurus is not in this checkout")
def test_real_thesaurus_loads() -> None:
    th = load_thesaurus(REAL_THESAURUS)
    assert len(th) >= 320
    assert any(g.exclusive for g in th.groups.values())


def test_the_hierarchy_of_the_project_thesaurus_is_consistent() -> None:
    """A concept is never both broader and an alternative of another, a broader concept covers
    the narrower one's domain, and related concepts are not also in the hierarchy."""
    from matchmaker.matching.text import fold

    th = load_thesaurus(Path(__file__).resolve().parents[2] / "data" / "thesaurus")
    owners: dict[str, set[str]] = {}
    for c in th.concepts.values():
        for term, _ in c.terms():
            owners.setdefault(fold(term), set()).add(c.id)
    errors = []
    for term, cids in owners.items():
        for a in cids:
            errors += [
                f"{term!r}: term of {a} and of its ancestor {b}"
                for b in cids & set(th.ancestors(a))
            ]
    for c in th.concepts.values():
        for anc in th.ancestors(c.id):
            if anc in c.related:
                errors.append(f"{c.id}: {anc} is both broader and related")
            shared = set(c.categories) & set(th[anc].categories)
            if c.categories and th[anc].categories and not shared:
                errors.append(f"{c.id}: broader {anc} shares no category with it")
    assert errors == []
