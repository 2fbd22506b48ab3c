"""Accounts: register, log in (throttled), log out, cookies, tokens, cross-site protection.

Registering here is as on a deployment that does not verify phones (`LINLI_PHONE_VERIFICATION=off`);
tests/accounts/ covers SMS codes and sessions."""

import pytest

from api.domain import api_tokens
from api.http.sessions import SESSION_COOKIE
from api.models import Volunteer
from tests import factories
from tests.conftest import GraphQLClient

REGISTER = """
mutation($phone: String!, $password: String!, $name: String!) {
  register(input: {phone: $phone, password: $password, displayName: $name}) {
    volunteer { id displayName phone }
    userErrors { code field message }
  }
}"""
LOG_IN = """
mutation($phone: String!, $password: String!) {
  logIn(input: {phone: $phone, password: $password}) {
    volunteer { displayName }
    userErrors { code message }
  }
}"""
VIEWER = "{ viewer { displayName phone } }"


@pytest.fixture(autouse=True)
def without_phone_verification(monkeypatch):
    from api.settings import get_settings

    monkeypatch.setenv("LINLI_PHONE_VERIFICATION", "off")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_register_sets_a_safe_session_cookie(client, database):
    gql = GraphQLClient(client)
    response = await client.post(
        "/graphql",
        json={
            "query": REGISTER,
            "variables": {
                "phone": "+86 138-0013-8000",
                "password": "长期志愿者2026",
                "name": "王阿姨",
            },
        },
    )
    body = response.json()["data"]["register"]
    assert body["userErrors"] == []
    assert body["volunteer"]["phone"] == "13800138000"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await gql.ok(VIEWER))["viewer"]["displayName"] == "王阿姨"
    logged_out = await gql.ok("mutation { logOut }")
    assert logged_out["logOut"] is True
    assert (await gql.ok(VIEWER))["viewer"] is None


async def test_register_validates_every_field_at_once(client, database):
    gql = GraphQLClient(client)
    answer = await gql.ok(REGISTER, {"phone": "12345", "password": "short", "name": " "})
    fields = {tuple(e["field"]) for e in answer["register"]["userErrors"]}
    assert fields == {("phone",), ("password",), ("displayName",)}
    assert answer["register"]["volunteer"] is None
    assert await Volunteer.all().count() == 0


async def test_phone_taken(client, database):
    gql = GraphQLClient(client)
    existing = await factories.volunteer()
    answer = await gql.ok(
        REGISTER, {"phone": existing.phone, "password": "邻里互助 2026 春天", "name": "x"}
    )
    assert answer["register"]["userErrors"][0]["code"] == "PHONE_TAKEN"


async def test_log_in_and_throttling_per_phone(client, database):
    gql = GraphQLClient(client)
    volunteer = await factories.volunteer("李师傅")
    ok = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": factories.PASSWORD})
    assert ok["logIn"]["volunteer"]["displayName"] == "李师傅"
    client.cookies.clear()
    codes = []
    for _ in range(6):
        answer = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": "wrong-password"})
        codes.append(answer["logIn"]["userErrors"][0]["code"])
    assert codes == ["BAD_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    blocked = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": factories.PASSWORD})
    assert blocked["logIn"]["userErrors"][0]["code"] == "RATE_LIMITED"
    assert blocked["logIn"]["volunteer"] is None


async def test_unknown_phone_is_bad_credentials(client, database):
    gql = GraphQLClient(client)
    answer = await gql.ok(LOG_IN, {"phone": "13911112222", "password": "whatever-123"})
    assert answer["logIn"]["userErrors"][0]["code"] == "BAD_CREDENTIALS"


async def test_bearer_token_acts_for_its_volunteer(client, database):
    gql = GraphQLClient(client)
    volunteer = await factories.volunteer("接口用户")
    token = (
        await api_tokens.create_token_for(
            volunteer, "district dashboard", list(api_tokens.LEGACY_SCOPES), None
        )
    )[0]
    seen = await gql(VIEWER, Authorization=f"Bearer {token}")
    assert seen["data"]["viewer"]["displayName"] == "接口用户"
    # an unknown token is refused (401), not anonymous: tests/http/test_bearer_tokens.py


async def test_cross_site_cookie_requests_act_anonymously(client, database):
    volunteer = await factories.volunteer("王阿姨")
    factories.log_in_as(client, volunteer)
    same_site = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Origin": "http://testserver"}
    )
    assert same_site.json()["data"]["viewer"]["displayName"] == "王阿姨"
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert response.json()["data"]["viewer"] is None
    form = await client.post(
        "/graphql", content=f'{{"query": "{VIEWER}"}}', headers={"Content-Type": "text/plain"}
    )
    assert form.status_code >= 400 or form.json()["data"]["viewer"] is None
