"""A team leader's whole day on a phone (zh-CN, Pixel 7, no GraphQL by hand after log-in):
a draft weekly series, one occurrence moved to now, a shift added, the whole series published,
a walk-in neighbour added on site, everyone marked present, the event closed, a message to
everyone who came. Every page fits 320 px without horizontal scrolling."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from api.demo.neighbourhood import DEMO_PASSWORD
from tests.browser.conftest import graphql

LEADER_PHONE = "13800000026"  # leads 厝边帮帮团 in the demo data
LOG_IN = (
    "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) "
    "{ userErrors { code } } }"
)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _fits_320(page: Any) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    _fits(page)
    page.set_viewport_size(size)


def test_a_leader_plans_publishes_and_runs_an_event_on_a_phone(context: Any) -> None:
    assert graphql(context, LOG_IN, {"p": LEADER_PHONE, "w": DEMO_PASSWORD})["logIn"] == {
        "userErrors": []
    }
    teams = graphql(context, "{ viewer { teams { id viewerIsLeader } } }")["viewer"]["teams"]
    team_id = next(t["id"] for t in teams if t["viewerIsLeader"])
    title = f"楼道清洁日 {os.getpid()}"
    now = datetime.now(SHANGHAI)
    today = now.date()
    # Moved to "now" later: it has started (so it can be closed) and ends today.
    started = max(now - timedelta(hours=1), now.replace(hour=0, minute=0)).strftime("%H:%M")

    # 1. A draft weekly series, three weeks.
    page = context.new_page()
    page.goto(f"/teams/{team_id}/events/new")
    page.get_by_label("标题").fill(title)
    page.locator("#kind").select_option("CLEANUP")
    page.locator("#date").fill(today.isoformat())
    page.locator("#start").fill("23:00")
    page.locator("#end").fill("23:30")
    page.get_by_label("地点").fill("尊湖小区3号楼")
    page.locator("#shift-role-0").fill("清扫")
    page.locator("#shift-capacity-0").fill("5")
    page.get_by_label("每周重复：共几周").fill("3")
    page.get_by_label("立即发布（开放报名）").uncheck()
    page.get_by_role("button", name="创建", exact=True).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    organize_url = page.url
    assert organize_url.endswith("/organize")
    expect(page.get_by_role("button", name="发布整个系列")).to_be_visible()
    _fits(page)
    _fits_320(page)

    # 2. This occurrence moves to now (only this date).
    page.get_by_role("link", name="编辑活动和岗位").click()
    expect(page.get_by_role("heading", name="编辑活动")).to_be_visible()
    _fits(page)
    _fits_320(page)
    page.locator("#start").fill(started)
    page.locator("#end").fill("23:59")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(page.locator("#start")).to_have_value(started)

    # 3. A second shift.
    page.locator("#new-role").fill("垃圾分类引导")
    page.locator("#new-capacity").fill("2")
    page.get_by_role("button", name="添加岗位", exact=True).click()
    expect(page.get_by_text("岗位已添加")).to_be_visible()
    expect(page.locator("#role-2")).to_have_value("垃圾分类引导")

    # 4. The whole series opens for sign-ups.
    page.get_by_role("link", name="返回组织页面").click()
    page.get_by_role("button", name="发布整个系列").click()
    expect(page.get_by_text("已发布 3 场活动")).to_be_visible()
    expect(page.get_by_role("heading", name="活动现场")).to_be_visible()
    event_id = organize_url.split("/events/")[1].split("/")[0]
    series = graphql(
        context,
        "query($id: ID!) { node(id: $id) { ... on Event { series { events(first: 10) "
        "{ nodes { status } } } } } }",
        {"id": event_id},
    )["node"]["series"]["events"]["nodes"]
    assert [e["status"] for e in series] == ["PUBLISHED"] * 3

    # 5. On site: a neighbour who did not sign up.
    walk_in_phone = f"137{os.getpid() % 10000:04d}0001"
    page.locator("#walk-in-shift").select_option(label="清扫 (0/5)")
    page.locator("#walk-in-phone").fill("1370")
    page.locator("#walk-in-name").fill("陈阿婆")
    page.get_by_role("button", name="登记并确认").click()
    expect(page.get_by_text("请输入11位手机号码")).to_be_visible()  # re-rendered, kept
    expect(page.locator("#walk-in-name")).to_have_value("陈阿婆")
    page.locator("#walk-in-phone").fill(walk_in_phone)
    page.get_by_role("button", name="登记并确认").click()
    expect(page.get_by_text("已登记并确认报名")).to_be_visible()
    expect(page.locator(".people").get_by_text("陈阿婆").first).to_be_visible()

    # 6. Everyone present, 7. the event closed, 8. a message to everyone who came.
    page.get_by_role("button", name="全部标记为已到场").click()
    expect(page.get_by_text("已标记到场：1 人")).to_be_visible()
    page.get_by_role("button", name="结束活动").click()
    expect(page.get_by_text("活动已结束。未标记的人记为未到场。")).to_be_visible()
    page.get_by_label("通知内容（最多300字）").fill("谢谢大家今天的帮忙！")
    page.get_by_role("button", name="发送给所有已确认的人").click()
    expect(page.get_by_text("通知已发送给 1 人")).to_be_visible()
    _fits(page)
    _fits_320(page)
    status = graphql(
        context, "query($id: ID!) { node(id: $id) { ... on Event { status } } }", {"id": event_id}
    )["node"]["status"]
    assert status == "COMPLETED"

    # 9. The team's hours report for today: the walk-in's hours, with who recorded them.
    report = context.request.get(
        f"/admin/hours.csv?from={today.isoformat()}&to={today.isoformat()}&team={team_id}"
    )
    assert report.status == 200
    text = report.body().decode("utf-8")
    assert text.startswith("\ufeff姓名") and "陈阿婆" in text and title in text
