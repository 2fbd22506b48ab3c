"""On a phone: a resident books a haircut in a free time on the event page (no script needed),
sees it in 我的预约 and cancels it; the section fits 320 px with big tap targets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import graphql, register

ADMIN = 'mutation { logIn(input: {phone: "13800000000", password: "linli-admin-2026"}) { userErrors { code } } }'
SET_SLOTS = """
mutation($e: ID!, $s: DateTime!, $t: DateTime!) {
  setAppointmentSlots(input: {eventId: $e, startsAt: $s, endsAt: $t, minutesEach: 30, places: 1}) {
    event { appointmentSlots { id } } userErrors { code message }
  }
}"""


def _haircut_with_slots(browser: Any, server: str) -> str:
    """A published HAIRCUT event of the demo, given half-hour slots by the admin."""
    admin = browser.new_context(base_url=server)
    try:
        graphql(admin, ADMIN)
        events = graphql(
            admin,
            "{ events(first: 50, filter: {kinds: [HAIRCUT]}) { nodes { id startsAt endsAt } } }",
        )["events"]["nodes"]
        event = events[-1]
        starts = datetime.fromisoformat(event["startsAt"])
        ends = min(datetime.fromisoformat(event["endsAt"]), starts + timedelta(hours=2))
        answer = graphql(
            admin,
            SET_SLOTS,
            {"e": event["id"], "s": starts.isoformat(), "t": ends.isoformat()},
        )["setAppointmentSlots"]
        assert answer["userErrors"] == [], answer
        return str(event["id"])
    finally:
        admin.close()


def test_a_resident_books_a_haircut_on_a_phone(context: Any, browser: Any, server: str) -> None:
    event_id = _haircut_with_slots(browser, server)
    register(context, "张阿姨")
    page = context.new_page()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/events/{event_id}")
    section = page.locator("#appointments")
    expect(section.get_by_role("heading", name="预约服务")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    small = page.evaluate(
        """() => [...document.querySelectorAll('#appointments button, #appointments input')]
            .filter(el => el.offsetParent !== null && el.type !== 'hidden')
            .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44).map(([html]) => html)"""
    )
    assert small == [], small

    section.get_by_role("radio").nth(1).check()
    section.get_by_label("给志愿者的备注（可选）").fill("行动不便")
    section.get_by_role("button", name="预约").click()
    expect(page.locator("#appointments")).to_contain_text("您的预约")

    page.goto("/me")
    mine = page.locator("#appointments")
    expect(mine.get_by_role("heading", name="我的预约")).to_be_visible()
    mine.get_by_role("button", name="取消预约").click()
    expect(page.locator("#appointments")).to_have_count(0)
