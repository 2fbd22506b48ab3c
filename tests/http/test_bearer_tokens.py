"""Bearer tokens: an unknown, revoked or empty token is refused with 401 and
`WWW-Authenticate: Bearer`, by GraphQL (POST and GET) and by pages alike; never anonymous."""

from __future__ import annotations

import pytest

from api.domain import api_tokens
from api.infra import clock
from api.models import ApiToken
from tests import factories

VIEWER = "{ viewer { displayName } }"


def _refused(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def _revoked_token() -> str:
    volunteer = await factories.volunteer("接口用户")
    token = (
        await api_tokens.create_token_for(
            volunteer, "old dashboard", list(api_tokens.LEGACY_SCOPES), None
        )
    )[0]
    await ApiToken.filter(volunteer_id=volunteer.id).update(revoked_at=clock.now())
    return token


@pytest.mark.parametrize("kind", ["unknown", "revoked", "empty"])
async def test_a_token_that_acts_for_no_one_answers_401(client, database, kind):
    token = {"unknown": "linli_nope", "empty": ""}.get(kind) or await _revoked_token()
    headers = {"Authorization": f"Bearer {token}"}
    posted = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    _refused(posted)
    assert posted.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _refused(await client.get("/graphql", params={"query": VIEWER}, headers=headers))
    for page in ("/", "/me", "/login"):
        _refused(await client.get(page, headers=headers))


async def test_a_good_token_still_works_and_other_schemes_are_not_bearer(client, database):
    volunteer = await factories.volunteer("接口用户")
    token = (
        await api_tokens.create_token_for(
            volunteer, "district dashboard", list(api_tokens.LEGACY_SCOPES), None
        )
    )[0]
    good = {"Authorization": f"Bearer {token}"}
    answer = await client.post("/graphql", json={"query": VIEWER}, headers=good)
    assert answer.status_code == 200
    assert answer.json()["data"]["viewer"]["displayName"] == "接口用户"
    assert (await client.get("/me", headers=good)).status_code == 200
    # another scheme is not a bearer token: the caller is simply anonymous
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    other = await client.post("/graphql", json={"query": VIEWER}, headers=basic)
    assert other.status_code == 200 and other.json()["data"]["viewer"] is None
    # revoking it makes the next request fail
    await ApiToken.filter(volunteer_id=volunteer.id).update(revoked_at=clock.now())
    _refused(await client.post("/graphql", json={"query": VIEWER}, headers=good))
