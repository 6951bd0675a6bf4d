"""Fixtures for the matching engine tests: a small thesaurus and engine factories."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.matching import Engine, Thesaurus, load_thesaurus

FIXTURES = Path(__file__).parent / "fixtures"
REAL_THESAURUS = Path(__file__).resolve().parents[2] / "data" / "thesaurus"


@pytest.fixture(scope="session")
def thesaurus() -> Thesaurus:
    return load_thesaurus(FIXTURES / "thesaurus")


@pytest.fixture
def engine(thesaurus: Thesaurus) -> Engine:
    return Engine(thesaurus=thesaurus)
