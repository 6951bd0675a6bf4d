"""Service tests run inside the app's context, as every entry point calls the services: some
steps queue e-mails, which are rendered from the app's templates and settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
