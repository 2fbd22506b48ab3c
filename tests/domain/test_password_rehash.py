"""A password hashed with older argon2 parameters is re-hashed with the current ones at the
next good log-in; a wrong password changes nothing."""

from argon2 import PasswordHasher

from api.infra.passwords import needs_rehash
from api.models import Volunteer
from tests import factories
from tests.conftest import GraphQLClient

LOG_IN = """
mutation($phone: String!, $password: String!) {
  logIn(input: {phone: $phone, password: $password}) {
    volunteer { displayName }
    userErrors { code }
  }
}"""


async def test_log_in_upgrades_an_outdated_hash(client, database):
    volunteer = await factories.volunteer("老用户")
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("旧密码-2019")
    await Volunteer.filter(id=volunteer.id).update(password_hash=old)
    assert needs_rehash(old)
    gql = GraphQLClient(client)

    wrong = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": "not-it-at-all"})
    assert wrong["logIn"]["userErrors"] == [{"code": "BAD_CREDENTIALS"}]
    assert (await Volunteer.get(id=volunteer.id)).password_hash == old

    done = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": "旧密码-2019"})
    assert done["logIn"]["userErrors"] == []
    upgraded = (await Volunteer.get(id=volunteer.id)).password_hash
    assert upgraded != old and not needs_rehash(upgraded)

    again = await gql.ok(LOG_IN, {"phone": volunteer.phone, "password": "旧密码-2019"})
    assert again["logIn"]["volunteer"]["displayName"] == "老用户"
    assert (await Volunteer.get(id=volunteer.id)).password_hash == upgraded  # nothing more to do
