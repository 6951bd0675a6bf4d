"""``constraints.txt`` pins every dependency of ``pyproject.toml`` within its allowed range."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"not an exact pin: {line}"
        pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [
        Requirement(spec)
        for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]
    ]
    pins = _pins()
    unpinned = [str(r) for r in requirements if canonicalize_name(r.name) not in pins]
    assert unpinned == [], "run `make constraints`"
    outside = [
        f"{r.name}=={pins[canonicalize_name(r.name)]} (wants {r.specifier})"
        for r in requirements
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], "run `make constraints`"
