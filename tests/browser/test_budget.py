"""First load of any page: ≤ 50 KB JavaScript, ≤ 20 KB CSS, ≤ 150 KB in all (gzipped
transfer), and nothing from another origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from tests.browser.conftest import open_shift

KB = 1024


def first_load(browser: Any, device: dict[str, Any], server: str, path: str) -> dict[str, int]:
    context = browser.new_context(**device, base_url=server, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    kinds: dict[str, str] = {}
    totals = {"script": 0, "stylesheet": 0, "all": 0}
    origins: set[str] = set()

    def sent(event: dict[str, Any]) -> None:
        kinds[event["requestId"]] = event.get("type", "Other").lower()
        url = urlparse(event["request"]["url"])
        if url.scheme in ("http", "https", "ws", "wss"):
            origins.add(url.netloc)

    def finished(event: dict[str, Any]) -> None:
        size = int(event["encodedDataLength"])
        totals["all"] += size
        kind = kinds.get(event["requestId"], "")
        if kind in totals:
            totals[kind] += size

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    page.goto(path, wait_until="networkidle")
    context.close()
    assert origins <= {urlparse(server).netloc}, origins
    return totals


def test_first_load_stays_within_the_budget(
    browser: Any, playwright_instance: Any, server: str, context: Any
) -> None:
    from tests.browser.conftest import phone

    shift = open_shift(context)
    for path in ("/", f"/events/{shift['event_id']}", "/login"):
        totals = first_load(browser, phone(playwright_instance), server, path)
        assert totals["script"] <= 50 * KB, (path, totals)
        assert totals["stylesheet"] <= 20 * KB, (path, totals)
        assert totals["all"] <= 150 * KB, (path, totals)
        print(path, totals)
