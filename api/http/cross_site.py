"""Cross-site requests: a browser request from another site must not act with the user's cookie."""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.requests import HTTPConnection


def is_cross_site(request: HTTPConnection) -> bool:
    """A browser request from another site (its cookie must not act for the user)."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return urlparse(origin).netloc != request.headers.get("host", "")
    return origin == "null"
