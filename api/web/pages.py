"""The PWA's pages: server-rendered first paint, enhanced by plain ES modules."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from api.settings import PROJECT_ROOT

TEMPLATES_DIR: Path = PROJECT_ROOT / "pwa" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


async def start_page(request: Request) -> Response:
    from api.web.rendering import run_operation

    data = await run_operation(request, "UpcomingEvents", {"first": 20})
    return templates.TemplateResponse(request, "index.html", {"data": data})


def page_routes() -> list[BaseRoute]:
    return [Route("/", start_page)]
