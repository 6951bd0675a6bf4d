"""The JSON API under ``/api/v1`` with its OpenAPI document at ``/api/v1/openapi.json``.

One module per resource (``postings``, ``companies``, ``catalog``); each adds its routes to
:data:`bp` and decorates them with ``@spec.validate`` (see :mod:`matchmaker.api.spec`), which puts
them in the OpenAPI document. A new resource is a new module imported in
:func:`matchmaker.api.setup.init_api`.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
