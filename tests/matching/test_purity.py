"""The matching engine is a pure library: importing it loads no web framework and no database."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import matchmaker.matching

FORBIDDEN = ("flask", "werkzeug", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "apscheduler")


def test_importing_every_matching_module_loads_no_framework_and_no_database() -> None:
    modules = [
        f"matchmaker.matching.{info.name}"
        for info in pkgutil.iter_modules(matchmaker.matching.__path__)
    ]
    assert "matchmaker.matching.engine" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        ).stdout
    )
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    outside = sorted(
        m for m in loaded if m.startswith("matchmaker.") and not m.startswith("matchmaker.matching")
    )
    assert heavy == [] and outside == []
