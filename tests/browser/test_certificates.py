"""A volunteer gets a certificate of their service hours on a phone: issues it on /me,
downloads the PDF and opens the link they would share."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from api.demo.neighbourhood import DEMO_PASSWORD
from tests.browser.conftest import graphql

LOG_IN = (
    "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) "
    "{ userErrors { code } } }"
)


def _log_in_someone_with_hours(context: Any) -> str:
    for n in range(1, 29):  # the demo's volunteers: past events credited their hours
        phone = f"138{n:08d}"
        assert (
            graphql(context, LOG_IN, {"p": phone, "w": DEMO_PASSWORD})["logIn"]["userErrors"] == []
        )
        viewer = graphql(context, "{ viewer { displayName hoursTotal } }")["viewer"]
        if viewer["hoursTotal"] > 0:
            return str(viewer["displayName"])
    raise AssertionError("no demo volunteer has hours")


def test_a_volunteer_downloads_a_certificate_on_a_phone(context: Any, tmp_path: Path) -> None:
    name = _log_in_someone_with_hours(context)
    page = context.new_page()
    page.goto("/me")
    section = page.locator("#certificates")
    expect(section.get_by_role("heading", name="我的志愿服务证明")).to_be_visible()
    section.locator("summary").click()
    section.get_by_label("从").fill((date.today() - timedelta(days=60)).isoformat())
    section.get_by_label("至").fill(date.today().isoformat())
    section.get_by_role("button", name="开具证明").click()

    page.wait_for_url("**/me/certificates*")
    card = page.locator(".certificate").first
    expect(card).to_contain_text("证明 LL-")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_download() as download:
        card.get_by_role("link", name="下载 PDF").click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    card.get_by_role("link", name="打开核验页面").click()
    expect(page.get_by_role("heading", name="有效证明")).to_be_visible()
    expect(page.locator(".verification")).to_contain_text(name[0] + "*")
    assert name not in page.locator(".verification").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
