"""Sessions you can end: server-side records behind the cookie, log-out that holds, log out
everywhere, password change, the list of my sessions, sliding expiry, password rules."""

import asyncio

import httpx
import pytest

from api.domain import accounts
from api.domain.errors import ValidationErrors, Validator
from api.http.sessions import SESSION_COOKIE
from api.models import UserSession
from tests import factories
from tests.accounts.conftest import GOOD_PASSWORD, LOG_IN
from tests.conftest import GraphQLClient

VIEWER = "{ viewer { displayName } }"
SESSIONS = "{ viewer { sessions { id device current lastSeenAt createdAt } } }"
CHANGE_PASSWORD = """
mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    volunteer { displayName }
    userErrors { code field message }
  }
}"""
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40"
)


def browser(client: httpx.AsyncClient, user_agent: str = PHONE_UA) -> httpx.AsyncClient:
    """Another browser on the same server (its own cookie jar)."""
    return httpx.AsyncClient(
        transport=client._transport, base_url=client.base_url, headers={"User-Agent": user_agent}
    )


async def log_in(http: httpx.AsyncClient, phone: str, password: str = factories.PASSWORD) -> None:
    answer = await GraphQLClient(http).ok(LOG_IN, {"phone": phone, "password": password})
    assert answer["logIn"]["userErrors"] == [], answer


async def test_a_copied_cookie_stops_working_after_log_out(client, database):
    owner = await factories.volunteer("王阿姨")
    async with browser(client) as mine, browser(client) as thief:
        await log_in(mine, owner.phone)
        token = mine.cookies[SESSION_COOKIE]
        # Only a digest of the token is stored.
        assert not await UserSession.filter(token_digest=token).exists()
        thief.cookies.set(SESSION_COOKIE, token)
        assert (await GraphQLClient(thief).ok(VIEWER))["viewer"]["displayName"] == "王阿姨"

        response = await mine.post("/graphql", json={"query": "mutation { logOut }"})
        assert response.json()["data"]["logOut"] is True
        assert SESSION_COOKIE in response.headers["set-cookie"]
        assert (await GraphQLClient(thief).ok(VIEWER))["viewer"] is None
        page = await thief.get("/me", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_the_log_out_form_ends_the_session_too(client, database):
    owner = await factories.volunteer("李师傅")
    async with browser(client) as mine, browser(client) as copy:
        await log_in(mine, owner.phone)
        copy.cookies.set(SESSION_COOKIE, mine.cookies[SESSION_COOKIE])
        response = await mine.post(
            "/logout", headers={"Origin": "http://testserver"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert (await GraphQLClient(copy).ok(VIEWER))["viewer"] is None


async def test_log_out_everywhere_ends_every_session(client, database):
    owner = await factories.volunteer("赵大姐")
    other = await factories.volunteer("别人")
    async with browser(client) as a, browser(client, WECHAT_UA) as b, browser(client) as c:
        await log_in(a, owner.phone)
        await log_in(b, owner.phone)
        factories.log_in_as(c, other)
        ended = await GraphQLClient(a).ok("mutation { logOutEverywhere }")
        assert ended["logOutEverywhere"] is True
        assert (await GraphQLClient(a).ok(VIEWER))["viewer"] is None
        assert (await GraphQLClient(b).ok(VIEWER))["viewer"] is None
        assert (await GraphQLClient(c).ok(VIEWER))["viewer"]["displayName"] == "别人"


async def test_changing_the_password_ends_the_other_sessions(client, database):
    owner = await factories.volunteer("钱老师")
    async with browser(client) as here, browser(client) as there:
        await log_in(here, owner.phone)
        await log_in(there, owner.phone)
        gql = GraphQLClient(here)
        wrong = await gql.ok(CHANGE_PASSWORD, {"current": "not-it-at-all", "new": GOOD_PASSWORD})
        assert wrong["changePassword"]["userErrors"][0]["code"] == "BAD_CREDENTIALS"
        assert wrong["changePassword"]["userErrors"][0]["field"] == ["currentPassword"]
        weak = await gql.ok(CHANGE_PASSWORD, {"current": factories.PASSWORD, "new": "12345678"})
        assert weak["changePassword"]["userErrors"][0]["field"] == ["newPassword"]
        assert (await GraphQLClient(there).ok(VIEWER))["viewer"] is not None

        done = await gql.ok(CHANGE_PASSWORD, {"current": factories.PASSWORD, "new": GOOD_PASSWORD})
        assert done["changePassword"]["userErrors"] == []
        assert (await gql.ok(VIEWER))["viewer"]["displayName"] == "钱老师"
        assert (await GraphQLClient(there).ok(VIEWER))["viewer"] is None
    async with browser(client) as later:
        await log_in(later, owner.phone, GOOD_PASSWORD)


async def test_change_password_needs_a_session(client, database):
    answer = await GraphQLClient(client).ok(
        CHANGE_PASSWORD, {"current": factories.PASSWORD, "new": GOOD_PASSWORD}
    )
    assert answer["changePassword"]["userErrors"][0]["code"] == "UNAUTHENTICATED"


async def test_my_sessions_show_device_and_which_is_this_one(client, database):
    owner = await factories.volunteer("孙阿姨")
    await UserSession.filter(volunteer_id=owner.id).delete()  # the harness's own session
    async with browser(client) as phone, browser(client, WECHAT_UA) as wechat:
        await log_in(phone, owner.phone)
        await log_in(wechat, owner.phone)
        mine = (await GraphQLClient(phone).ok(SESSIONS))["viewer"]["sessions"]
        assert sorted((s["device"], s["current"]) for s in mine) == [
            ("Chrome, Android", True),
            ("微信 WeChat, iPhone", False),
        ]
        # Nobody else sees them, not even an admin.
        admin = await factories.volunteer("管理员", admin=True)
        factories.log_in_as(client, admin)
        gid = (await GraphQLClient(phone).ok("{ viewer { id } }"))["viewer"]["id"]
        seen = await GraphQLClient(client).ok(
            "query($id: ID!) { node(id: $id) { ... on Volunteer { sessions { id } } } }",
            {"id": gid},
        )
        assert seen["node"]["sessions"] == []


async def test_sessions_slide_and_expire_when_unused(client, database, frozen_clock):
    owner = await factories.volunteer("周师傅")
    async with browser(client) as http:
        await log_in(http, owner.phone)
        gql = GraphQLClient(http)
        for _ in range(3):  # used every 20 days: still logged in after 60
            frozen_clock.advance(days=20)
            assert (await gql.ok(VIEWER))["viewer"] is not None
        frozen_clock.advance(days=31)
        assert (await gql.ok(VIEWER))["viewer"] is None


async def test_parallel_log_ins_make_one_session_each(client, database):
    owner = await factories.volunteer("吴大哥")
    browsers = [browser(client) for _ in range(5)]
    await asyncio.gather(*(log_in(b, owner.phone) for b in browsers))
    tokens = {b.cookies[SESSION_COOKIE] for b in browsers}
    assert len(tokens) == 5
    for b in browsers:
        assert (await GraphQLClient(b).ok(VIEWER))["viewer"] is not None
        await b.aclose()


@pytest.mark.parametrize(
    "password",
    ["password123", "12345678", "qwertyuiop", "woaini1314", "13912345678", "iloveyou"],
)
def test_common_passwords_are_refused(password):
    v = Validator()
    accounts.check_new_password(v, password, "password", phone="13912345678")
    with pytest.raises(ValidationErrors):
        v.raise_if_any()


@pytest.mark.parametrize("password", [GOOD_PASSWORD, "correct horse battery", "长期志愿者2026"])
def test_good_passwords_pass(password):
    v = Validator()
    accounts.check_new_password(v, password, "password", phone="13912345678")
    v.raise_if_any()


async def test_the_scheduler_forgets_expired_sessions(client, database, frozen_clock):
    from api.jobs import scheduler

    owner = await factories.volunteer("郑老师")
    await UserSession.filter(volunteer_id=owner.id).delete()  # the harness's own session
    async with browser(client) as http:
        await log_in(http, owner.phone)
    frozen_clock.advance(days=31)
    await scheduler.tick()
    assert await UserSession.filter(volunteer_id=owner.id).count() == 0
