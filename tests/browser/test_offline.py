"""Offline: pages seen before still show (marked offline); actions wait in the outbox and
reach the server exactly once when the connection returns."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import graphql, open_shift, register, wait_for_service_worker

SHIFT_STATE = "query($id: ID!) { node(id: $id) { ... on Shift { seatsTaken waitlistCount } } }"
MY_SIGNUPS = "{ viewer { signups(first: 100) { nodes { id status shift { id } } } } }"


def my_signups_for(context: Any, shift_id: str) -> list[dict[str, Any]]:
    nodes = graphql(context, MY_SIGNUPS)["viewer"]["signups"]["nodes"]
    return [s for s in nodes if s["shift"]["id"] == shift_id]


def seats_taken(context: Any, shift_id: str) -> int:
    return int(graphql(context, SHIFT_STATE, {"id": shift_id})["node"]["seatsTaken"])


def test_pages_seen_before_show_offline_and_unknown_pages_show_the_offline_page(
    context: Any,
) -> None:
    register(context)
    shift = open_shift(context)
    page = context.new_page()
    page.goto("/")
    wait_for_service_worker(page)
    title = page.locator("main h1").inner_text()
    page.goto(f"/events/{shift['event_id']}")
    expect(page.locator("main h1")).to_have_text(shift["title"])
    page.goto("/me")
    expect(page.locator("main h1")).to_have_text("我的班次")

    context.set_offline(True)
    for path, heading in (
        ("/", title),
        (f"/events/{shift['event_id']}", shift["title"]),
        ("/me", "我的班次"),
    ):
        page.goto(path)
        expect(page.locator("main h1")).to_have_text(heading)
        note = page.locator("#offline-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("离线")
    page.goto("/teams/VGVhbToy")  # never opened on this phone
    expect(page.locator("[data-offline-page]")).to_be_visible()
    expect(page.locator("main h1")).to_have_text("当前没有网络")


def _sign_up_offline(context: Any, *, reload_while_offline: bool) -> None:
    register(context)
    shift = open_shift(context)
    before = seats_taken(context, shift["id"])
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    wait_for_service_worker(page)
    page.reload()  # now controlled: the page is kept for offline use

    context.set_offline(True)
    card = page.locator(f"#shift-{shift['id']}")
    card.get_by_role("button", name="报名").click()
    pending = page.get_by_role("status").filter(has_text="恢复网络后会自动提交")
    expect(pending).to_be_visible()
    if reload_while_offline:
        page.reload()
        expect(page.locator("#offline-note")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="恢复网络后会自动提交")).to_be_visible()
    assert seats_taken(context, shift["id"]) == before  # nothing sent yet

    context.set_offline(False)
    done = page.get_by_role("status").filter(has_text="报名成功")
    expect(done).to_be_visible(timeout=5_000)
    expect(page.locator(f"#shift-{shift['id']}")).to_contain_text("已报名")

    page.reload()  # a reload after reconnecting sends nothing again
    expect(page.locator(f"#shift-{shift['id']}")).to_contain_text("已报名")
    page.wait_for_timeout(500)
    signups = my_signups_for(context, shift["id"])
    assert [s["status"] for s in signups] == ["CONFIRMED"]
    assert seats_taken(context, shift["id"]) == before + 1


def test_a_sign_up_made_offline_arrives_exactly_once(context: Any) -> None:
    _sign_up_offline(context, reload_while_offline=False)


def test_a_sign_up_made_offline_survives_a_reload_and_arrives_exactly_once(context: Any) -> None:
    _sign_up_offline(context, reload_while_offline=True)


def test_a_full_shift_offers_the_waitlist_and_shows_the_position(context: Any) -> None:
    register(context)
    shift = open_shift(context, full=True)
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    card = page.locator(f"#shift-{shift['id']}")
    card.get_by_role("button", name="加入候补").click()
    position = shift["waitlistCount"] + 1
    expect(page.get_by_role("status").filter(has_text=f"候补第 {position} 位")).to_be_visible()
    expect(card).to_contain_text(f"候补第 {position} 位")


def test_a_tap_while_the_outbox_is_still_replaying_is_sent(context: Any) -> None:
    """On a slow phone the replay started on load may still run when the volunteer taps: the
    tap must still be sent (it once stayed at "正在提交…" until the next reload)."""
    register(context)
    shift = open_shift(context)
    # The replay started on load is slow to finish: its last step (reading the answers, the
    # third use of the outbox's lock on the page) waits two seconds. The tap comes meanwhile.
    context.add_init_script(
        """
        const request = navigator.locks.request.bind(navigator.locks);
        let calls = 0;
        navigator.locks.request = (name, work) => ++calls === 3
          ? new Promise((r) => setTimeout(r, 2000)).then(() => request(name, work))
          : request(name, work);
        """
    )
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    card = page.locator(f"#shift-{shift['id']}")
    card.get_by_role("button", name="报名").click()
    expect(page.get_by_role("status").filter(has_text="报名成功")).to_be_visible(timeout=10_000)
    assert [s["status"] for s in my_signups_for(context, shift["id"])] == ["CONFIRMED"]


def test_cancelling_asks_for_confirmation(context: Any) -> None:
    register(context)
    shift = open_shift(context)
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    card = page.locator(f"#shift-{shift['id']}")
    card.get_by_role("button", name="报名").click()
    expect(card).to_contain_text("已报名")
    card.get_by_role("button", name="取消报名").click()
    expect(card).to_contain_text("确定要取消报名吗？")
    card.get_by_role("button", name="确定取消").click()
    expect(page.get_by_role("status").filter(has_text="已取消报名")).to_be_visible()
    assert [s["status"] for s in my_signups_for(context, shift["id"])] == ["CANCELLED"]


def test_a_cancellation_made_offline_is_sent_on_reconnect(context: Any) -> None:
    register(context)
    shift = open_shift(context)
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    wait_for_service_worker(page)
    card = page.locator(f"#shift-{shift['id']}")
    card.get_by_role("button", name="报名").click()
    expect(card).to_contain_text("已报名")
    before = seats_taken(context, shift["id"])

    context.set_offline(True)
    card.get_by_role("button", name="取消报名").click()
    card.get_by_role("button", name="确定取消").click()
    expect(page.get_by_role("status").filter(has_text="恢复网络后会自动提交")).to_be_visible()
    assert [s["status"] for s in my_signups_for(context, shift["id"])] == ["CONFIRMED"]

    context.set_offline(False)
    expect(page.get_by_role("status").filter(has_text="已取消报名")).to_be_visible(timeout=5_000)
    assert [s["status"] for s in my_signups_for(context, shift["id"])] == ["CANCELLED"]
    assert seats_taken(context, shift["id"]) == before - 1
