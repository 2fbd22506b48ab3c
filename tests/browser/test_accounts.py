"""Accounts in a real browser: register with the SMS code, log out, log in with a code."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import new_phone_number, sms_code


def test_register_with_an_sms_code_then_log_in_with_one(context: Any) -> None:
    page = context.new_page()
    phone_number = new_phone_number()
    page.goto("/login")
    form = page.locator('form[data-action="Register"]')
    form.get_by_label("姓名").fill("浏览器测试")
    form.get_by_label("手机号码").fill(phone_number)
    form.get_by_role("button", name="发送验证码").click()
    expect(form.locator(".code-sent")).to_be_visible(timeout=15_000)  # a loaded machine
    form.get_by_label(re.compile("短信验证码")).fill(sms_code(phone_number))
    form.get_by_label(re.compile("^密码")).fill("邻里互助 2026 春天")
    form.get_by_label(re.compile("^密码")).press("Enter")  # Enter registers, it sends no code
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("#account")).to_contain_text("本机")

    page.get_by_role("button", name="退出登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/login")
    page.get_by_role("link", name="短信验证码").click()
    form = page.locator('form[data-action="LogInWithCode"]')
    form.get_by_label("手机号码").fill(phone_number)
    page.wait_for_timeout(1500)  # the test server's resend cool-down per number is 1 s
    form.get_by_role("button", name="发送验证码").click()
    expect(form.locator(".code-sent")).to_be_visible(timeout=15_000)  # a loaded machine
    form.get_by_label(re.compile("短信验证码")).fill(sms_code(phone_number))
    form.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me$"))
