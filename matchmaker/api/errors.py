"""The API's error shape: ``{"error": code, "message": text, "details": ...}``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def json_error(status: int, code: str, message: str, details: Any = None) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, "details": details}), status
