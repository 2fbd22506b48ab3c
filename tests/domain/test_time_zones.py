"""Times with any offset mean the same instant (SQLite compares timestamps as text)."""

from datetime import timedelta, timezone

from api.http.ids import encode_id
from tests import factories
from tests.conftest import GraphQLClient


async def test_filter_with_offset(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    start = factories.soon(days=3)
    await factories.event(team, title="A", starts_at=start)
    await factories.event(team, title="B", starts_at=start + timedelta(hours=5))
    cut = (start + timedelta(hours=2)).astimezone(timezone(timedelta(hours=8))).isoformat()
    q = "query($c: DateTime) { events(filter: {startsAfter: $c}) { nodes { title } } }"
    assert (await gql.ok(q, {"c": cut}))["events"]["nodes"] == [{"title": "B"}]
    q = "query($c: DateTime) { events(filter: {startsBefore: $c}) { nodes { title } } }"
    assert (await gql.ok(q, {"c": cut}))["events"]["nodes"] == [{"title": "A"}]


async def test_event_created_in_shanghai_time_lists_in_order(client, database):
    from api.models import Event

    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    await factories.event(team, title="UTC 02:00", starts_at=factories.soon(days=9, hour=0))
    base = factories.soon(days=9, hour=0)
    local = (base + timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    factories.log_in_as(client, leader)
    gql = GraphQLClient(client)
    created = await gql.ok(
        """mutation($team: ID!, $s: DateTime!, $e: DateTime!) { createEvent(input: {
          teamId: $team, title: "local", kind: CLINIC, startsAt: $s, endsAt: $e, publish: true,
          shifts: [{role: "医生", startsAt: $s, endsAt: $e, capacity: 2}]}) { userErrors { code } } }""",
        {
            "team": encode_id("Team", team.id),
            "s": local.isoformat(),
            "e": (local + timedelta(hours=2)).isoformat(),
        },
    )
    assert created["createEvent"]["userErrors"] == []
    stored = await Event.get(title="local")
    assert stored.starts_at == local
    after = (base + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=8))).isoformat()
    q = "query($c: DateTime) { events(filter: {startsAfter: $c}) { nodes { title } } }"
    assert [n["title"] for n in (await gql.ok(q, {"c": after}))["events"]["nodes"]] == ["local"]
