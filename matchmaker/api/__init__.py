"""The JSON API under ``/api/v1`` with its OpenAPI document at ``/api/v1/openapi.json``.

One module per resource (``postings``, ``companies``, ``catalog``); each adds its routes to
:data:`bp` and decorates them with ``@spec.validate`` (see :mod:`matchmaker.api.spec`), which puts
them in the OpenAPI document. A new resource is a new module imported in :func:`init_api`.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_api(app: Flask) -> None:
    # Importing the modules adds their hooks and routes to ``bp`` (once per process).
    from matchmaker.api import auth, catalog, companies, matches, postings, review  # noqa: F401
    from matchmaker.api.docs import docs_bp
    from matchmaker.app import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)
