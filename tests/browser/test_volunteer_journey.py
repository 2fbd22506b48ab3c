"""A volunteer on a phone, in zh-CN: the event page warns before a tap that a shift clashes
with one they hold; a leader removes them from a shift and they are told; they scan the
check-in QR code while logged out, log in, and the check-in still has its shift and code."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from api.demo.neighbourhood import ADMIN_PASSWORD, ADMIN_PHONE
from tests.browser.conftest import graphql, phone, register, start_shift_now

PASSWORD = "browser-test-pw"  # what conftest.register gives the account


def _leader(browser: Any, server: str, device: dict[str, Any]) -> Any:
    context = browser.new_context(**device, base_url=server)
    data = graphql(
        context,
        "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) "
        "{ userErrors { code } } }",
        {"p": ADMIN_PHONE, "w": ADMIN_PASSWORD},
    )
    assert data["logIn"]["userErrors"] == []
    return context


def _open_shift(context: Any) -> dict[str, Any]:
    """A shift that takes sign-ups now (other tests move some demo shifts into the past)."""
    events = graphql(
        context,
        "{ events(first: 50) { nodes { id title shifts { id role seatsLeft startsAt "
        "acceptsSignUps } } } }",
    )["events"]["nodes"]
    for event in reversed(events):  # the latest: the least likely to be touched by others
        for shift in event["shifts"]:
            if shift["acceptsSignUps"] and shift["seatsLeft"] > 0:
                return {**shift, "event_id": event["id"], "title": event["title"]}
    raise AssertionError("the demo data has no open shift")


def _sign_up(context: Any, shift_id: str, key: str) -> str:
    data = graphql(
        context,
        "mutation($s: ID!, $k: String!) { signUp(input: {shiftId: $s, idempotencyKey: $k}) "
        "{ signup { id status } userErrors { code } } }",
        {"s": shift_id, "k": key},
    )
    assert data["signUp"]["userErrors"] == [], data
    return str(data["signUp"]["signup"]["id"])


def test_clash_warning_removal_notice_and_qr_check_in(
    browser: Any, server: str, playwright_instance: Any
) -> None:
    device = phone(playwright_instance)
    volunteer = browser.new_context(**device, base_url=server)
    number = register(volunteer, "王小芳")
    leader = _leader(browser, server, device)
    shift = _open_shift(volunteer)
    _sign_up(volunteer, shift["id"], "journey-1")

    # A copy of the event at the same time: its shifts clash with the one she holds.
    starts = datetime.fromisoformat(shift["startsAt"])
    copy = graphql(
        leader,
        "mutation($e: ID!, $t: DateTime!) { duplicateEvent(input: {eventId: $e, startsAt: $t, "
        "publish: true}) { event { id shifts { id } } userErrors { code } } }",
        {"e": shift["event_id"], "t": starts.isoformat()},
    )["duplicateEvent"]
    assert copy["userErrors"] == [], copy
    page = volunteer.new_page()
    page.goto(f"/events/{copy['event']['id']}")
    expect(page.get_by_text("与您已报名的岗位时间冲突").first).to_be_visible()

    # A later copy she signs up for, then a leader removes her: she is told.
    later = graphql(
        leader,
        "mutation($e: ID!, $t: DateTime!) { duplicateEvent(input: {eventId: $e, startsAt: $t, "
        "publish: true}) { event { id shifts { id } } userErrors { code } } }",
        {"e": shift["event_id"], "t": (starts + timedelta(days=1)).isoformat()},
    )["duplicateEvent"]
    removed = _sign_up(volunteer, later["event"]["shifts"][0]["id"], "journey-2")
    answer = graphql(
        leader,
        "mutation($id: ID!) { cancelSignup(input: {signupId: $id}) { signup { status } "
        "userErrors { code } } }",
        {"id": removed},
    )
    assert answer["cancelSignup"]["signup"]["status"] == "CANCELLED"
    page.goto("/me")
    notices = page.locator("#notifications")
    for _ in range(20):  # the notice is made by the server's scheduler, woken by the change
        if "移出" in (notices.inner_text() if notices.count() else ""):
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(notices).to_contain_text("移出")

    # On site: the QR code's link, scanned while logged out, survives the log-in.
    start_shift_now(shift["id"])
    code = graphql(
        leader,
        "query($s: ID!) { node(id: $s) { ... on Shift { checkInCode } } }",
        {"s": shift["id"]},
    )["node"]["checkInCode"]
    volunteer.clear_cookies()
    page.goto(f"/checkin?shift={shift['id']}&code={code}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    login = page.locator('form:has(input[name="password"])').first
    login.get_by_label("手机号码").fill(number)
    login.locator('input[name="password"]').fill(PASSWORD)
    login.locator('input[name="password"]').press("Enter")
    expect(page).to_have_url(re.compile(r"/me\?shift="))
    checkin = page.locator('form[data-action="CheckIn"]').first
    expect(checkin.locator('input[name="code"]')).to_have_value(code)
    checkin.get_by_role("button").first.click()
    expect(page.get_by_text(re.compile("已签到")).first).to_be_visible(timeout=15_000)
    leader.close()
    volunteer.close()
