"""Registering the API on the app: its resource modules, the documentation, CSRF exemption.

Kept apart from the package root, which only holds the blueprint the resource modules import, so
that the package and its modules do not import each other.
"""

from __future__ import annotations

from flask import Flask

from matchmaker.api import auth, catalog, companies, matches, postings, review
from matchmaker.api import bp as api_bp
from matchmaker.api.docs import docs_bp
from matchmaker.context import csrf

# Importing the resource modules adds their hooks and routes to the blueprint.
RESOURCES = (auth, catalog, companies, matches, postings, review)


def init_api(app: Flask) -> None:
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(docs_bp)
