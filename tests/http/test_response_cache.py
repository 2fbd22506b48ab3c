"""Anonymous answers are cached while the public data is unchanged, revalidated with ETags,
and never stale after a change through any path (database triggers count the changes)."""

import asyncio

from api.http.ids import encode_id
from api.models import Shift, Team
from tests import factories
from tests.conftest import GraphQLClient
from tests.sqlcount import count_sql

LIST = "{ events(first: 5) { nodes { title seatsLeft shifts { seatsLeft } } } }"


async def test_repeated_anonymous_query_is_answered_from_the_cache(client, database):
    await factories.event(await factories.team(), capacities=(4,))
    first = await client.get("/graphql", params={"query": LIST})
    if not database.startswith("sqlite"):
        # PostgreSQL answers are executed every time (see api/domain/freshness.py)
        assert first.status_code == 200 and "etag" not in first.headers
        return
    assert first.status_code == 200 and first.headers["etag"]
    with count_sql() as statements:
        again = await client.get("/graphql", params={"query": LIST})
    assert again.json() == first.json()
    assert len(statements) == 1 and "catalog_version" in statements[0]
    not_modified = await client.get(
        "/graphql", params={"query": LIST}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304 and not_modified.content == b""


async def test_a_sign_up_changes_the_answer_at_once(client, database):
    gql = GraphQLClient(client)
    event = await factories.event(await factories.team(), capacities=(4,))
    shift = await Shift.get(event_id=event.id)
    before = (await gql.ok(LIST))["events"]["nodes"][0]["seatsLeft"]
    volunteer = await factories.volunteer()
    factories.log_in_as(client, volunteer)
    answer = await gql.ok(
        'mutation($s: ID!) { signUp(input: {shiftId: $s, idempotencyKey: "k"}) { signup { status } } }',
        {"s": encode_id("Shift", shift.id)},
    )
    assert answer["signUp"]["signup"]["status"] == "CONFIRMED"
    factories.log_in_as(client, None)
    assert (await gql.ok(LIST))["events"]["nodes"][0]["seatsLeft"] == before - 1


async def test_writes_outside_the_api_invalidate_too(client, database):
    gql = GraphQLClient(client)
    team = await factories.team("旧名")
    query = "{ teams { nodes { name } } }"
    assert (await gql.ok(query))["teams"]["nodes"] == [{"name": "旧名"}]
    await Team.filter(id=team.id).update(name="新名")  # as the CLI or a migration would
    assert (await gql.ok(query))["teams"]["nodes"] == [{"name": "新名"}]


async def test_personal_answers_and_errors_are_never_cached(client, database):
    volunteer = await factories.volunteer("王阿姨")
    factories.log_in_as(client, volunteer)
    mine = await client.post("/graphql", json={"query": "{ viewer { displayName phone } }"})
    assert mine.json()["data"]["viewer"]["displayName"] == "王阿姨" and "etag" not in mine.headers
    factories.log_in_as(client, None)
    anonymous = await client.post("/graphql", json={"query": "{ viewer { displayName } }"})
    assert anonymous.json()["data"]["viewer"] is None
    broken = await client.get("/graphql", params={"query": "{ nope }"})
    assert broken.status_code == 200 and "etag" not in broken.headers


async def test_no_cache_request_executes_afresh(client, database):
    await factories.event(await factories.team(), capacities=(4,))
    await client.get("/graphql", params={"query": LIST})
    with count_sql() as statements:
        fresh = await client.get(
            "/graphql", params={"query": LIST}, headers={"Cache-Control": "no-cache"}
        )
    assert fresh.status_code == 200 and len(statements) > 1


async def test_identical_requests_missing_together_execute_once(client, database):
    """When an answer expires under load, the requests arriving meanwhile share one execution
    instead of each running the query (which made the cached list's p99 spike)."""
    await factories.event(await factories.team(), capacities=(4,))
    if not database.startswith("sqlite"):
        return  # PostgreSQL answers are not cached (see api/domain/freshness.py)
    with count_sql() as statements:
        answers = await asyncio.gather(
            *(client.get("/graphql", params={"query": LIST}) for _ in range(10))
        )
    assert all(a.status_code == 200 for a in answers)
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["etag"] for a in answers}) == 1
    assert len([s for s in statements if 'FROM "event"' in s]) == 1
