"""GraphiQL is served from Linli's own origin (no CDN, no web font service) under its own
policy, and opens on Linli's example operations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from tests.browser.conftest import watch_csp


def test_graphiql_loads_everything_from_our_origin(browser: Any, server: str) -> None:
    context = browser.new_context(base_url=server, locale="zh-CN")
    violations = watch_csp(context)
    page = context.new_page()
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(urlparse(request.url).netloc))
    page.goto("/graphql", wait_until="networkidle")
    page.wait_for_selector(".graphiql-container", timeout=20_000)
    editor_text = page.locator(".graphiql-query-editor").inner_text()
    assert "UpcomingEvents" in editor_text
    tabs = page.locator(".graphiql-tabs").inner_text()
    for name in ("NextPage", "SignUp", "Changes", "ShiftSeats"):  # one tab per example
        assert name in tabs, tabs
    assert origins <= {urlparse(server).netloc}, origins
    assert violations == []
    context.close()
