"""Every response carries the security headers; the pages' policy allows no inline script or
style (and the templates have none); GraphiQL gets its own policy; HSTS behind https."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import httpx
from starlette.responses import PlainTextResponse

from api.http import security_headers
from api.settings import get_settings
from tests import factories

TEMPLATES = Path(__file__).resolve().parents[2] / "pwa" / "templates"


async def test_pages_answers_and_errors_carry_the_headers(client, database) -> None:
    event = await factories.event(await factories.team())
    for path in ("/", f"/events/{event.id}", "/login", "/nope", "/static/css/app.css", "/sw.js"):
        response = await client.get(path)
        assert response.status_code < 500
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["permissions-policy"]
        assert "strict-transport-security" not in response.headers  # http://127.0.0.1
    answer = await client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_graphiql_has_its_own_same_origin_policy(client, database):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
    policy = response.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    for script in inline:  # none today; any would need its hash in the policy
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "https:" not in policy.replace("wss:", "")  # no CDN, no web-font service
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', response.text)
    assert sources and all(s.startswith("/graphiql-3.9.0/") for s in sources)
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_hsts_when_the_public_url_is_https(monkeypatch) -> None:
    https = replace(get_settings(), public_url="https://linli.example")
    monkeypatch.setattr(security_headers, "get_settings", lambda: https)
    app = security_headers.SecurityHeaders(PlainTextResponse("ok"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://linli.example") as c:
        response = await c.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            # External files, or JSON data blocks (not executed, so no hash needed).
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "javascript:" not in text, template
