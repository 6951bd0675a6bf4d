"""The translation catalogues are complete, compiled and in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from matchmaker.i18n import TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_every_message_has_a_german_translation() -> None:
    missing = [
        message.id
        for message in catalog("de")
        if message.id and (message.fuzzy or not all(_strings(message.string)))
    ]
    assert missing == [], f"untranslated or fuzzy German messages: {missing}"


def test_translations_keep_the_placeholders() -> None:
    broken = []
    for message in catalog("de"):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(" ".join(_strings(message.id))))
        for translation in _strings(message.string):
            if set(PLACEHOLDER.findall(translation)) != expected:
                broken.append(message.id)
    assert broken == []


def _messages(catalogue: Catalog) -> dict[tuple[tuple[str, ...], str | None], tuple[str, ...]]:
    """What a catalogue translates, without its header (which names the Babel version).

    A plural message left untranslated is compiled with its own forms, as ``write_mo`` does.
    """
    messages = {}
    for message in catalogue:
        ids, strings = tuple(_strings(message.id)), tuple(_strings(message.string))
        if not message.id or message.fuzzy or not (any(strings) or len(ids) > 1):
            continue
        messages[(ids, message.context)] = strings if any(strings) else ids
    return messages


@pytest.mark.parametrize("language", ["de", "en"])
def test_compiled_catalogues_match_the_sources(language: str) -> None:
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert _messages(compiled) == _messages(catalog(language)), "run `make i18n-compile`"


def test_catalogue_contains_every_message_of_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from babel.messages.frontend import main; main()",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog("de") if m.id}
    assert sorted(extracted - known) == [], "run `make i18n-extract` and translate the new messages"


def test_pages_are_german_by_default_and_english_by_switch(client: FlaskClient) -> None:
    german = client.get("/").get_data(as_text=True)
    assert 'lang="de"' in german and "Gesuche" in german
    client.get("/language/en")
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Needs" in english and "Gesuche" not in english
