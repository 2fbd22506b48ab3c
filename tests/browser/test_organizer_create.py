"""A team leader plans a four-week series on a phone: the new-event form, a second shift added
without scripts, and the series on the team page."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from api.demo.neighbourhood import DEMO_PASSWORD
from tests.browser.conftest import graphql

LEADER_PHONE = "13800000026"  # leads 厝边帮帮团 in the demo data
LOG_IN = (
    "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) "
    "{ userErrors { code } } }"
)


def test_a_leader_creates_a_weekly_series_on_a_phone(context: Any) -> None:
    assert graphql(context, LOG_IN, {"p": LEADER_PHONE, "w": DEMO_PASSWORD})["logIn"] == {
        "userErrors": []
    }
    teams = graphql(context, "{ viewer { teams { id viewerIsLeader } } }")["viewer"]["teams"]
    team_id = next(t["id"] for t in teams if t["viewerIsLeader"])
    title = f"楼栋议事角 {os.getpid()}"
    first_day = date.today() + timedelta(days=9)

    page = context.new_page()
    page.goto(f"/teams/{team_id}")
    page.get_by_role("link", name="新建活动").click()
    expect(page.get_by_role("heading", name="新建活动")).to_be_visible()
    page.get_by_label("标题").fill(title)
    page.locator("#kind").select_option("MEETING")
    page.locator("#date").fill(first_day.isoformat())
    page.locator("#start").fill("19:30")
    page.locator("#end").fill("21:00")
    page.get_by_label("地点").fill("尊湖小区邻里议事厅")
    page.locator("#shift-role-0").fill("主持人")
    page.locator("#shift-capacity-0").fill("1")
    page.get_by_role("button", name="添加岗位").click()  # a round trip: what was typed stays
    expect(page.locator("#shift-role-0")).to_have_value("主持人")
    page.locator("#shift-role-1").fill("记录员")
    page.locator("#shift-capacity-1").fill("2")
    page.locator("#shift-start-1").fill("20:00")
    page.get_by_label("每周重复：共几周").fill("4")
    expect(page.get_by_label("立即发布（开放报名）")).to_be_checked()
    # Mobile first: the form fits the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="创建", exact=True).click()

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert page.url.endswith("/organize")
    expect(page.get_by_text("主持人", exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", name="复制活动")).to_be_visible()

    page.goto(f"/teams/{team_id}")
    expect(page.locator(".cards li").filter(has_text=title)).to_have_count(4)
