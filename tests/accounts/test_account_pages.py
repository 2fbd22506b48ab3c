"""The pages: log in by password or SMS code, register and reset with a code, all as plain
forms (no scripts); `/me` lists where I am logged in, changes the password, logs out
everywhere."""

from datetime import UTC, datetime

import httpx

from api.models import PhoneCode, UserSession
from tests import factories
from tests.accounts.conftest import GOOD_PASSWORD

SAME_SITE = {"Origin": "http://testserver"}


async def post_form(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    return await client.post(path, data=fields, headers=SAME_SITE, follow_redirects=False)


async def test_the_log_in_page_offers_password_and_sms_code(client, database):
    page = await client.get("/login")
    assert page.status_code == 200
    assert "密码" in page.text and "短信验证码" in page.text
    assert 'data-action="LogIn"' in page.text and 'data-action="Register"' in page.text
    by_code = await client.get("/login?tab=code")
    assert 'data-action="LogInWithCode"' in by_code.text and "发送验证码" in by_code.text
    reset = await client.get("/login?tab=reset")
    assert 'data-action="ResetPassword"' in reset.text


async def test_registering_with_a_code_without_scripts(client, database, sms_gateway):
    phone = "13855556666"
    sent = await post_form(
        client, "/login", action="register", step="send_code", phone=phone, displayName="小刘"
    )
    assert sent.status_code == 200 and "验证码已通过短信发出" in sent.text
    assert 'value="小刘"' in sent.text  # what was typed stays
    code = sms_gateway.code_for(phone)
    too_soon = await post_form(client, "/login", action="register", step="send_code", phone=phone)
    assert too_soon.status_code == 400 and "秒后可重新发送" in too_soon.text

    wrong = await post_form(
        client, "/login", action="register", phone=phone, code="000000" if code != "000000"
        else "111111", password=GOOD_PASSWORD, displayName="小刘",
    )  # fmt: skip
    assert wrong.status_code == 400 and "验证码不对" in wrong.text
    done = await post_form(
        client, "/login", action="register", phone=phone, code=code, password=GOOD_PASSWORD,
        displayName="小刘", next="/me",
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/me"
    me = await client.get("/me")
    assert me.status_code == 200 and "已登录的设备" in me.text and "本机" in me.text


async def test_logging_in_and_resetting_with_a_code_without_scripts(client, database, sms_gateway):
    owner = await factories.volunteer("郑阿姨")
    await post_form(client, "/login", action="code", step="send_code", phone=owner.phone)
    done = await post_form(
        client, "/login", action="code", phone=owner.phone, code=sms_gateway.code_for(owner.phone)
    )
    assert done.status_code == 303
    assert (await client.get("/me")).status_code == 200

    client.cookies.clear()
    # the resend cool-down is over
    await PhoneCode.filter(phone=owner.phone).update(sent_at=datetime(2000, 1, 1, tzinfo=UTC))
    await post_form(client, "/login", action="reset", step="send_code", phone=owner.phone)
    reset = await post_form(
        client, "/login", action="reset", phone=owner.phone,
        code=sms_gateway.code_for(owner.phone), newPassword=GOOD_PASSWORD,
    )  # fmt: skip
    assert reset.status_code == 303
    client.cookies.clear()
    again = await post_form(
        client, "/login", action="login", phone=owner.phone, password=GOOD_PASSWORD
    )
    assert again.status_code == 303


async def test_change_password_and_log_out_everywhere_from_my_page(client, database):
    owner = await factories.volunteer("冯师傅")
    factories.log_in_as(client, owner)
    weak = await post_form(
        client, "/me/account", currentPassword=factories.PASSWORD, newPassword="password"
    )
    assert weak.headers["location"].startswith("/me?notice=WEAK_PASSWORD")
    changed = await post_form(
        client, "/me/account", currentPassword=factories.PASSWORD, newPassword=GOOD_PASSWORD
    )
    assert changed.headers["location"].startswith("/me?notice=PASSWORD_CHANGED")
    assert "其他设备已退出登录" in (await client.get(changed.headers["location"])).text

    everywhere = await post_form(client, "/me/account", action="logout_everywhere")
    assert everywhere.status_code == 303
    assert await UserSession.filter(volunteer_id=owner.id).count() == 0
    assert (await client.get("/me", follow_redirects=False)).status_code == 303


async def test_account_forms_refuse_cross_site_posts(client, database):
    owner = await factories.volunteer("陈老师")
    factories.log_in_as(client, owner)
    response = await client.post(
        "/me/account",
        data={"action": "logout_everywhere"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert await UserSession.filter(volunteer_id=owner.id).count() == 1
