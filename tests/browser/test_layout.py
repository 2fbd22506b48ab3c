"""Readable on a small phone: no sideways scrolling at 320 px, big tap targets, two languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_shift, register

NARROW = {"width": 320, "height": 640}


@pytest.fixture
def paths(context: Any) -> list[str]:
    register(context)
    shift = open_shift(context)
    return [
        "/",
        f"/events/{shift['event_id']}",
        "/me",
        "/login",
        "/offline",
        "/teams/VGVhbTox",
        "/me/certificates",
        "/verify",
    ]


def test_no_sideways_scroll_at_320_px(context: Any, paths: list[str]) -> None:
    page = context.new_page()
    page.set_viewport_size(NARROW)
    for path in paths:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{path} scrolls sideways ({width}px)"


def test_tap_targets_are_at_least_44_px(context: Any, paths: list[str]) -> None:
    page = context.new_page()
    page.set_viewport_size(NARROW)
    for path in paths:
        page.goto(path)
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, .button, nav a, .langs a, input, select, summary')]
                .filter(el => el.offsetParent !== null && el.type !== 'hidden')
                .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
                .filter(([, r]) => r.height < 44 || r.width < 44)
                .map(([html]) => html)"""
        )
        assert small == [], f"{path}: {small}"


def test_language_switch_is_remembered(context: Any) -> None:
    page = context.new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main h1")).to_have_text("近期志愿活动")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Upcoming events")
    page.goto("/login")
    expect(page.locator("main h1")).to_have_text("Log in or register")
    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("main h1")).to_have_text("登录或注册")


def test_dates_follow_the_language(context: Any) -> None:
    shift = open_shift(context)
    page = context.new_page()
    page.goto(f"/events/{shift['event_id']}")
    chinese = page.locator(f"#shift-{shift['id']} time").inner_text()
    assert "月" in chinese and "日" in chinese
    page.get_by_role("link", name="English").click()
    english = page.locator(f"#shift-{shift['id']} time").inner_text()
    assert "月" not in english and any(
        m in english
        for m in (
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        )
    )


def test_logging_in_shows_clear_errors_then_my_shifts(context: Any) -> None:
    page = context.new_page()
    page.goto("/login")
    form = page.locator("form[data-action=LogIn]")
    form.get_by_label("手机号码").fill("13800000001")
    form.get_by_label("密码").fill("wrong password")
    form.get_by_role("button", name="登录").click()
    expect(form.get_by_role("alert")).to_contain_text("手机号或密码不正确")
    form.get_by_label("密码").fill("linli-demo-2026")
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("main h1")).to_have_text("我的班次")
