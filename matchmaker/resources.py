"""Where the top-level ``templates/`` and ``data/`` folders are, in a checkout and in a wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def project_root() -> Path:
    """The checkout's root in development; the bundled folder when installed as a wheel."""
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "templates").is_dir():
        return bundled
    return _PACKAGE_DIR.parent


def templates_dir() -> Path:
    return project_root() / "templates"


def data_dir() -> Path:
    return project_root() / "data"
