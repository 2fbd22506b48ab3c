"""The contract's fixed core: ids, node(), pagination, limits, errors, the SDL file."""

from datetime import timedelta

from api.graphql.schema import export_sdl
from api.http.ids import encode_id
from api.models import Shift, Signup, SignupStatus
from api.settings import PROJECT_ROOT
from tests import factories
from tests.conftest import GraphQLClient

PAGE = """
query($first: Int, $after: String) {
  events(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title } }
  }
}"""


def test_schema_file_matches_the_code():
    assert (PROJECT_ROOT / "schema" / "schema.graphql").read_text() == export_sdl()


async def _events(team, n, start_days=1):
    base = factories.soon(days=start_days)
    return [
        await factories.event(team, title=f"E{i:03d}", starts_at=base + timedelta(hours=i))
        for i in range(n)
    ]


async def test_pages_do_not_overlap_when_rows_are_inserted(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    await _events(team, 7)
    first = (await gql.ok(PAGE, {"first": 3}))["events"]
    assert first["totalCount"] == 7 and first["pageInfo"]["hasNextPage"]
    seen = [e["node"]["title"] for e in first["edges"]]
    # an event inserted before the cursor must not shift the next page
    await factories.event(
        team, title="EARLY", starts_at=factories.soon(days=1) - timedelta(hours=1)
    )
    after = first["pageInfo"]["endCursor"]
    while after:
        page = (await gql.ok(PAGE, {"first": 3, "after": after}))["events"]
        assert page["pageInfo"]["hasPreviousPage"]
        seen += [e["node"]["title"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert seen == [f"E{i:03d}" for i in range(7)]


async def test_events_are_published_upcoming_and_soonest_first(client, database):
    from api.models import EventStatus

    gql = GraphQLClient(client)
    team = await factories.team()
    await factories.event(team, title="later", starts_at=factories.soon(days=5))
    await factories.event(team, title="sooner", starts_at=factories.soon(days=2))
    await factories.event(team, title="draft", status=EventStatus.DRAFT)
    await factories.event(team, title="past", starts_at=factories.soon(days=-3))
    titles = [e["node"]["title"] for e in (await gql.ok(PAGE, {"first": 10}))["events"]["edges"]]
    assert titles == ["sooner", "later"]


async def test_page_size_and_cursor_errors_are_clear(client, database):
    gql = GraphQLClient(client)
    too_many = await gql(PAGE, {"first": 101})
    assert too_many["errors"][0]["message"] == "`first` must be between 0 and 100."
    bad_cursor = await gql(PAGE, {"first": 1, "after": "bm9wZQ"})
    assert "cursor" in bad_cursor["errors"][0]["message"]


async def test_node_resolves_every_type_for_someone_allowed(client, database):
    gql = GraphQLClient(client)
    admin = await factories.volunteer("管理员", admin=True)
    place = await factories.community()
    team = await factories.team(place=place)
    event = await factories.event(team, place=place)
    shift = await Shift.get(event_id=event.id)
    signup = await Signup.create(
        shift=shift, volunteer=admin, status=SignupStatus.CONFIRMED, idempotency_key="k"
    )
    factories.log_in_as(client, admin)
    ids = {
        "Community": encode_id("Community", place.id),
        "Team": encode_id("Team", team.id),
        "Event": encode_id("Event", event.id),
        "Shift": encode_id("Shift", shift.id),
        "Signup": encode_id("Signup", signup.id),
        "Volunteer": encode_id("Volunteer", admin.id),
    }
    data = await gql.ok(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": list(ids.values())}
    )
    assert [(n["__typename"], n["id"]) for n in data["nodes"]] == list(ids.items())
    missing = await gql.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": encode_id("Team", 999)}
    )
    assert missing["node"] is None
    garbage = await gql('query { node(id: "!!!") { id } }')
    assert garbage["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_get_allows_queries_not_mutations(client, database):
    ok = await client.get("/graphql", params={"query": "{ teams(first: 1) { totalCount } }"})
    assert ok.status_code == 200 and ok.json()["data"]["teams"]["totalCount"] == 0
    refused = await client.get("/graphql", params={"query": "mutation { logOut }"})
    assert refused.status_code == 405


async def test_graphiql_for_browsers(client, database):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_limits_answer_clear_errors(client, database):
    gql = GraphQLClient(client)
    deep = "{ events { nodes { team { events { nodes { team { events { nodes { team { events { nodes { team { events { nodes { id } } } } } } } } } } } } } } }"
    assert "depth" in (await gql(deep))["errors"][0]["message"].lower()
    aliases = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(40)) + " }"
    assert "alias" in (await gql(aliases))["errors"][0]["message"].lower()
    tokens = "{ " + " ".join("__typename" for _ in range(5000)) + " }"
    assert "token" in (await gql(tokens))["errors"][0]["message"].lower()


async def test_huge_body_is_413(client, database):
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ viewer { id } }", "x": "' + b"a" * 1_100_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_malformed_requests_never_answer_500(client, database):
    bodies = [b"", b"{", b"[]", b'{"query": 5}', b'{"query": "{ nope }"}', b"\xff\xfe"]
    for body in bodies:
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (body, response.status_code)
    bad_time = await client.post(
        "/graphql",
        json={
            "query": "query($f: EventFilter) { events(filter: $f) { totalCount } }",
            "variables": {"f": {"startsAfter": "yesterday"}},
        },
    )
    assert bad_time.status_code < 500 and bad_time.json()["errors"]


async def test_unexpected_errors_are_masked(client, database, monkeypatch):
    from api.graphql import query

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query, "paginate", broken)
    body = await GraphQLClient(client)("{ teams { totalCount } }")
    assert body["errors"][0]["message"] == "Unexpected error."


async def test_nul_bytes_and_wildcards_are_plain_text(client, database):
    gql = GraphQLClient(client)
    await factories.event(await factories.team(), title="100% 义剪")
    query = "query($s: String) { events(filter: {search: $s}) { nodes { title } } }"
    assert (await gql.ok(query, {"s": "%"}))["events"]["nodes"] == [{"title": "100% 义剪"}]
    assert (await gql.ok(query, {"s": "_"}))["events"]["nodes"] == []
    nul = await gql(query, {"s": "a\x00b"})
    assert nul["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    register = await gql(
        'mutation { register(input: {phone: "13912345678", password: "abcdefgh1", '
        'displayName: "a\\u0000b"}) { userErrors { code } } }'
    )
    assert register["data"]["register"]["userErrors"][0]["code"] == "INVALID_INPUT"
