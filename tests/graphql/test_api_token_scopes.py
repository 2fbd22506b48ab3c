"""API tokens for third parties: scoped, expiring, listed, revocable; a call outside a token's
scopes is FORBIDDEN before anything runs, also behind a fragment; a token cannot make tokens."""

from datetime import timedelta

import httpx

from api.domain import api_tokens
from api.http.ids import encode_id
from api.infra import clock
from api.models import ApiToken, Shift, Signup
from tests import factories
from tests.conftest import GraphQLClient

CREATE = """
mutation($name: String!, $scopes: [ApiScope!]!, $days: Int) {
  createApiToken(input: {name: $name, scopes: $scopes, expiresInDays: $days}) {
    token apiToken { id name scopes expiresAt lastUsedAt } userErrors { code field }
  }
}"""
SIGN_UP = """
mutation($shift: ID!) { signUp(input: {shiftId: $shift, idempotencyKey: "t1"}) { signup { status } userErrors { code } } }"""
CREATE_EVENT_IN_FRAGMENT = """
mutation($team: ID!) { ...M }
fragment M on Mutation { publishEvent(input: {eventId: $team}) { userErrors { code } } }"""
MINE = "{ viewer { phone apiTokens { name scopes } } }"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_made_in_the_app_does_what_its_scopes_allow(
    client: httpx.AsyncClient, database
):
    gql = GraphQLClient(client)
    volunteer = await factories.volunteer()
    team = await factories.team()
    shift = await Shift.get(event_id=(await factories.event(team)).id)
    factories.log_in_as(client, volunteer)
    made = (await gql.ok(CREATE, {"name": "区大屏", "scopes": ["READ_PUBLIC"], "days": 30}))[
        "createApiToken"
    ]
    assert made["userErrors"] == [] and made["token"].startswith("linli_")
    assert made["apiToken"]["scopes"] == ["READ_PUBLIC"] and made["apiToken"]["expiresAt"]
    listed = (await gql.ok(MINE))["viewer"]["apiTokens"]
    assert [t["name"] for t in listed] == ["区大屏"]

    factories.log_in_as(client, None)
    read_only = _bearer(made["token"])
    body = await gql("{ events(first: 1) { totalCount } }", **read_only)
    assert body["data"]["events"]["totalCount"] == 1
    refused = await gql(SIGN_UP, {"shift": encode_id("Shift", shift.id)}, **read_only)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "WRITE_SIGNUPS" in refused["errors"][0]["message"]
    assert not await Signup.exists()
    hidden = await gql(CREATE_EVENT_IN_FRAGMENT, {"team": encode_id("Event", 1)}, **read_only)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    personal = await gql(MINE, **read_only)  # no READ_PERSONAL: no phone, no token list
    assert personal["data"]["viewer"]["phone"] is None
    assert personal["data"]["viewer"]["apiTokens"] == []
    minted = await gql(CREATE, {"name": "x", "scopes": ["READ_PUBLIC"], "days": None}, **read_only)
    assert minted["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    factories.log_in_as(client, volunteer)
    writer = (await gql.ok(CREATE, {"name": "小程序", "scopes": ["READ_PUBLIC", "WRITE_SIGNUPS"]}))[
        "createApiToken"
    ]["token"]
    factories.log_in_as(client, None)
    signed = await gql(SIGN_UP, {"shift": encode_id("Shift", shift.id)}, **_bearer(writer))
    assert signed["data"]["signUp"]["signup"]["status"] == "CONFIRMED"


async def test_revoked_and_expired_tokens_answer_401(client: httpx.AsyncClient, database):
    gql = GraphQLClient(client)
    volunteer = await factories.volunteer()
    factories.log_in_as(client, volunteer)
    made = (await gql.ok(CREATE, {"name": "旧大屏", "scopes": ["READ_PUBLIC"], "days": 1}))[
        "createApiToken"
    ]
    factories.log_in_as(client, None)
    query = {"query": "{ events(first: 1) { totalCount } }"}
    assert (
        await client.post("/graphql", json=query, headers=_bearer(made["token"]))
    ).status_code == 200
    assert (await ApiToken.get(name="旧大屏")).last_used_at is not None
    clock.set_clock(lambda: clock.utc(factories.soon(days=2)))
    expired = await client.post("/graphql", json=query, headers=_bearer(made["token"]))
    assert expired.status_code == 401 and "Bearer" in expired.headers["www-authenticate"]
    clock.set_clock(None)

    factories.log_in_as(client, volunteer)
    second = (await gql.ok(CREATE, {"name": "新大屏", "scopes": ["READ_PUBLIC"], "days": None}))[
        "createApiToken"
    ]
    revoke = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { name } userErrors { code } } }"
    stranger = await factories.volunteer("路人")
    factories.log_in_as(client, stranger)
    not_theirs = await gql.ok(revoke, {"id": second["apiToken"]["id"]})
    assert not_theirs["revokeApiToken"]["userErrors"][0]["code"] == "NOT_FOUND"
    factories.log_in_as(client, volunteer)
    assert (await gql.ok(revoke, {"id": second["apiToken"]["id"]}))["revokeApiToken"][
        "userErrors"
    ] == []
    factories.log_in_as(client, None)
    assert (
        await client.post("/graphql", json=query, headers=_bearer(second["token"]))
    ).status_code == 401


async def test_bad_token_requests_are_refused(client: httpx.AsyncClient, database):
    gql = GraphQLClient(client)
    factories.log_in_as(client, await factories.volunteer())
    empty = (await gql.ok(CREATE, {"name": " ", "scopes": [], "days": 9999}))["createApiToken"]
    assert {tuple(e["field"]) for e in empty["userErrors"]} == {
        ("name",),
        ("scopes",),
        ("expiresInDays",),
    }
    assert not await ApiToken.exists()


async def test_the_command_line_lists_and_revokes(database):
    volunteer = await factories.volunteer()
    secret, row = await api_tokens.create_token_for(
        volunteer, "脚本", [api_tokens.ApiScope.READ_PUBLIC], None
    )
    owner = await api_tokens.owner_of(row.id)
    assert owner is not None and owner.id == volunteer.id
    found = await api_tokens.bearer(secret)
    assert found is not None and found.scopes == {"READ_PUBLIC"}
    assert await api_tokens.bearer(secret + "x") is None
    assert timedelta(0) < api_tokens.LAST_USED_GRANULARITY


async def test_the_developer_page_makes_lists_and_revokes(client: httpx.AsyncClient, database):
    volunteer = await factories.volunteer()
    factories.log_in_as(client, None)
    assert (await client.get("/me/developer")).status_code == 303
    factories.log_in_as(client, volunteer)
    page = await client.get("/me/developer")
    assert page.status_code == 200 and "开发者" in page.text and "还没有令牌" in page.text
    made = await client.post(
        "/me/developer",
        data={"name": "区大屏", "scopes": ["READ_PUBLIC", "READ_PERSONAL"], "expiresInDays": "30"},
    )
    assert made.status_code == 200 and "只显示这一次" in made.text
    secret = made.text.split('<code class="secret">', 1)[1].split("</code>", 1)[0]
    assert (await api_tokens.bearer(secret)) is not None
    bad = await client.post("/me/developer", data={"name": "", "expiresInDays": "x"})
    assert bad.status_code == 422
    row = await ApiToken.get(name="区大屏")
    revoked = await client.post(
        "/me/developer", data={"action": "revoke", "id": encode_id("ApiToken", row.id)}
    )
    assert revoked.status_code == 303
    assert await api_tokens.bearer(secret) is None


async def test_every_mutation_needs_its_scope(client: httpx.AsyncClient, database):
    """Each mutation of the schema, sent with a token holding every scope but the one it needs
    (or any scope, for those only a logged-in session may call), is refused FORBIDDEN before
    anything runs (its arguments are not even read)."""
    from graphql import get_named_type, is_composite_type

    from api.domain.api_tokens import ApiScope, scope_for_mutation
    from api.graphql.schema import schema

    gql = GraphQLClient(client)
    volunteer = await factories.volunteer()
    tokens: dict[ApiScope | None, str] = {}
    for needed in [*ApiScope, None]:
        scopes = [s for s in ApiScope if s != needed]
        token, _ = await api_tokens.create_token_for(volunteer, "t", scopes, None)
        tokens[needed] = token
    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None
    checked = 0
    for name, field in mutation_type.fields.items():
        needed = scope_for_mutation(name)
        declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
        passed = ", ".join(f"{a}: ${a}" for a in field.args)
        selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
        document = (
            f"mutation{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''}{selection} }}"
        )
        answer = await gql(document, **_bearer(tokens[needed]))
        assert answer.get("data") in (None, {}), (name, answer)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, answer)
        checked += 1
    assert checked == len(mutation_type.fields) > 40
