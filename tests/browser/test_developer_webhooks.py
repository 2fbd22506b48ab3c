"""A developer makes a webhook on a 360 px phone, without help: a private address is refused
in Chinese, then the signing secret is shown once, in view, and never again."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import register

PHONE = {"width": 360, "height": 740}
PUBLIC_URL = "https://93.184.215.14/hook"  # a public address literal: nothing to resolve


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_webhook_is_made_on_a_phone_and_its_secret_shown_once(context: Any) -> None:
    register(context, "开发者小王")
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto("/me/developer")
    expect(page.get_by_role("heading", name="Webhook", exact=True)).to_be_visible()
    expect(page.get_by_text("还没有 Webhook")).to_be_visible()
    _no_sideways_scroll(page)

    url = page.get_by_label("接收地址（https）")
    url.fill("https://10.0.0.5/hook")
    page.get_by_label("说明（可不填）").fill("区志愿服务大屏")
    page.get_by_role("button", name="创建 Webhook").click()
    error = page.locator("#webhook-url-error")
    expect(error).to_contain_text("公网")
    expect(error).to_be_in_viewport()
    expect(url).to_have_value("https://10.0.0.5/hook")
    expect(page.get_by_label("说明（可不填）")).to_have_value("区志愿服务大屏")

    url.fill(PUBLIC_URL)
    page.get_by_label("班次名额变化").check()
    page.get_by_role("button", name="创建 Webhook").click()
    secret_box = page.locator("#webhook-secret code.secret")
    expect(secret_box).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/=]+$"))
    expect(secret_box).to_be_in_viewport()
    expect(page.locator("#webhook-secret")).to_contain_text("只显示这一次")
    secret = secret_box.inner_text()
    _no_sideways_scroll(page)
    card = page.locator("li.webhook")
    expect(card).to_contain_text(PUBLIC_URL)
    expect(card).to_contain_text("已启用")
    expect(card).to_contain_text("班次名额变化")

    page.goto("/me/developer")  # again: the secret is gone for good
    expect(page.locator("li.webhook")).to_have_count(1)
    expect(page.locator("#webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    page.locator("li.webhook").get_by_role("link", name="投递记录").click()
    expect(page.get_by_role("heading", name="投递记录")).to_be_visible()
    expect(page.get_by_text("还没有消息")).to_be_visible()
    assert secret not in page.content()
    _no_sideways_scroll(page)

    page.goto("/me/developer")
    page.locator("li.webhook").get_by_role("button", name="删除").click()
    expect(page.get_by_text("还没有 Webhook")).to_be_visible()
