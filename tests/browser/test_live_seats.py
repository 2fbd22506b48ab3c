"""The event page's seat counts follow other people's sign-ups live (a WebSocket subscription),
and the page works as before without it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import graphql, open_shift, phone, register

SIGN_UP = """mutation($input: SignUpInput!) {
  signUp(input: $input) { signup { status } userErrors { code message } } }"""


def test_the_seat_count_changes_when_someone_else_signs_up(
    context: Any, browser: Any, playwright_instance: Any, server: str
) -> None:
    page = context.new_page()
    shift = open_shift(context)
    page.goto(f"/events/{shift['event_id']}")
    line = page.locator(f'[data-live-seats="{shift["id"]}"]')
    before = line.inner_text()
    assert re.search(rf"\b{shift['seatsLeft']}\b", before), before

    someone = browser.new_context(**phone(playwright_instance), base_url=server)
    try:
        register(someone, "隔壁邻居")
        done = graphql(
            someone, SIGN_UP, {"input": {"shiftId": shift["id"], "idempotencyKey": "live-seat"}}
        )
        assert done["signUp"]["userErrors"] == [], done
    finally:
        someone.close()

    left = shift["seatsLeft"] - 1
    if left > 0:
        expect(line).to_contain_text(re.compile(rf"(^|\D){left}\D"), timeout=15_000)
    else:
        expect(line.locator(".seats.full")).to_be_visible(timeout=15_000)
    assert line.inner_text() != before


def test_the_page_keeps_its_counts_without_websockets(context: Any) -> None:
    context.add_init_script("delete window.WebSocket;")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    shift = open_shift(context)
    page.goto(f"/events/{shift['event_id']}")
    expect(page.locator(f'[data-live-seats="{shift["id"]}"]')).to_contain_text(
        str(shift["seatsLeft"])
    )
    assert errors == []
