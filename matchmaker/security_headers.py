"""Security headers on every response, set in one place.

A strict Content-Security-Policy (no inline scripts, nothing from third parties), no MIME sniffing,
no framing, same-origin referrers, and pages with personal data kept out of shared caches. A
response that sets a header itself (the API documentation, downloads) keeps its own value.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def apply(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.blueprint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store" if g.get("user") else "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(apply)
