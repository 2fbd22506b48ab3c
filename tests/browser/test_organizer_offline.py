"""The organizer's attendance marks made offline wait in the app's outbox and, once sent, are
described as attendance (not as a sign-up)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from api.demo.neighbourhood import ADMIN_PASSWORD, ADMIN_PHONE
from tests.browser.conftest import (
    graphql,
    open_shift,
    register,
    start_shift_now,
    wait_for_service_worker,
)

SIGN_UP = (
    'mutation($s: ID!) { signUp(input: {shiftId: $s, idempotencyKey: "organizer-offline"}) '
    "{ signup { id status } userErrors { code } } }"
)
LOG_IN = (
    "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) "
    "{ userErrors { code } } }"
)
STATUS = "query($id: ID!) { node(id: $id) { ... on Signup { status } } }"


def test_an_attendance_mark_made_offline_is_replayed_and_described(context: Any) -> None:
    register(context, "离线出席")
    shift = open_shift(context)
    signup = graphql(context, SIGN_UP, {"s": shift["id"]})["signUp"]["signup"]
    assert signup["status"] == "CONFIRMED"
    start_shift_now(shift["id"])  # attendance is recorded once the shift has started
    assert graphql(context, LOG_IN, {"p": ADMIN_PHONE, "w": ADMIN_PASSWORD})["logIn"] == {
        "userErrors": []
    }
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}/organize")
    wait_for_service_worker(page)
    row = page.locator(f"#signup-{signup['id']}")
    expect(row).to_contain_text("离线出席")

    context.set_offline(True)
    row.get_by_role("button", name="已签到", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="恢复网络后会自动提交")).to_be_visible()
    assert graphql(context, STATUS, {"id": signup["id"]})["node"]["status"] == "CONFIRMED"

    context.set_offline(False)
    page.evaluate("dispatchEvent(new Event('online'))")
    done = page.get_by_role("status").filter(has_text="离线出席：已记为出席。")
    expect(done).to_be_visible(timeout=10_000)
    expect(page.get_by_role("status").filter(has_text="报名成功")).to_have_count(0)
    assert graphql(context, STATUS, {"id": signup["id"]})["node"]["status"] == "ATTENDED"
