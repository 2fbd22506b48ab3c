"""The app installs: a manifest with everything Chromium asks for, and a service worker."""

from __future__ import annotations

import io
import time
from typing import Any

from PIL import Image

from tests.browser.conftest import wait_for_service_worker


def test_chromium_reports_no_installability_errors(persistent_context: Any) -> None:
    page = (
        persistent_context.pages[0] if persistent_context.pages else persistent_context.new_page()
    )
    page.goto("/")
    wait_for_service_worker(page)
    cdp = persistent_context.new_cdp_session(page)
    deadline = time.monotonic() + 15
    while True:
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        if not errors or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert errors == []


def test_manifest_names_the_app_and_its_icons(context: Any) -> None:
    response = context.request.get("/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["id"] and manifest["name"] and manifest["short_name"] == "邻里"
    assert manifest["start_url"].startswith(manifest["scope"]) and manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
    assert manifest["theme_color"] and manifest["background_color"]
    found = set()
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(context.request.get(icon["src"]).body()))
        assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]
        found.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= found


def test_service_worker_is_revalidated_and_assets_are_immutable(context: Any) -> None:
    worker = context.request.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"].startswith("text/javascript")
    page = context.new_page()
    page.goto("/")
    urls = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "els => els.map(e => e.href || e.src)"
    )
    assert urls
    for url in urls:
        headers = context.request.get(url).headers
        assert (
            "immutable" in headers["cache-control"]
            and "max-age=31536000" in headers["cache-control"]
        )
