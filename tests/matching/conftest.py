"""Fixtures for the matching engine tests: a small thesaurus and engine factories."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.matching import Engine, Thesaurus, load_thesaurus
from matchmaker.matching.encoder import CachedEncoder, make_encoder

FIXTURES = Path(__file__).parent / "fixtures"
REAL_THESAURUS = Path(__file__).resolve().parents[2] / "data" / "thesaurus"


@pytest.fixture(scope="session")
def thesaurus() -> Thesaurus:
    return load_thesaurus(FIXTURES / "thesaurus")


@pytest.fixture(scope="session")
def encoder() -> CachedEncoder:
    """The embedded default sentence encoder (loaded once per test session)."""
    enc = make_encoder("default")
    assert enc is not None
    return enc


@pytest.fixture(params=["lexical", "semantic"])
def engine(request: pytest.FixtureRequest, thesaurus: Thesaurus) -> Engine:
    """Every engine test runs without (MATCHMAKER_ENCODER=none) and with the default encoder."""
    if request.param == "semantic":
        return Engine(thesaurus=thesaurus, encoder=request.getfixturevalue("encoder"))
    return Engine(thesaurus=thesaurus)
