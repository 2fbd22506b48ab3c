"""The "稍后再试" page: what a browser sees while the database is unavailable (503)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.web.rendering import render


def unavailable_page(request: Request) -> Response:
    """Rendered without touching the database (no viewer, no badge)."""
    response = render(request, "unavailable.html", {"viewer": None}, status_code=503)
    response.headers["Cache-Control"] = "no-store"
    return response
