"""The JSON API under ``/api/v1`` with its OpenAPI document at ``/api/v1/openapi.json``."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_api(app: Flask) -> None:
    from matchmaker.app import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
