"""`Query.changes`, `updatedAt` and `EventFilter.updatedSince` / `statuses` over GraphQL, as a
third party and an organizer use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.http.ids import encode_id
from api.models import Event, EventStatus, Shift
from tests import factories
from tests.conftest import GraphQLClient

CHANGES = """
query($after: String, $first: Int, $types: [ChangeType!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { id kind typename nodeId at } }
    pageInfo { hasNextPage endCursor }
    currentCursor totalCount
  }
}"""
EVENTS = """
query($filter: EventFilter) {
  events(first: 100, filter: $filter) { nodes { id title status updatedAt shifts { updatedAt } } }
}"""
CREATE = """
mutation($input: CreateEventInput!) { createEvent(input: $input) {
  event { id shifts { id } } userErrors { code } } }"""
PUBLISH = """
mutation($id: ID!) { publishEvent(input: {eventId: $id}) { event { id } userErrors { code } } }"""
CANCEL = """
mutation($id: ID!) { cancelEvent(input: {eventId: $id, reason: "下雨"}) { userErrors { code } } }"""
SIGN_UP = """
mutation($shift: ID!, $key: String!) {
  signUp(input: {shiftId: $shift, idempotencyKey: $key}) { signup { status } userErrors { code } }
}"""


async def _all_changes(gql: GraphQLClient, after: str | None = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while True:
        page = (await gql.ok(CHANGES, {"after": after, "first": 100}))["changes"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


def _kinds(changes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["kind"], c["typename"]) for c in changes]


async def _create(gql: GraphQLClient, team_id: int, *, publish: bool) -> dict[str, Any]:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    data = await gql.ok(
        CREATE,
        {
            "input": {
                "teamId": encode_id("Team", team_id),
                "title": "义诊",
                "kind": "CLINIC",
                "startsAt": starts.isoformat(),
                "endsAt": (starts + timedelta(hours=2)).isoformat(),
                "shifts": [
                    {
                        "role": "医生",
                        "startsAt": starts.isoformat(),
                        "endsAt": (starts + timedelta(hours=2)).isoformat(),
                        "capacity": 2,
                    }
                ],
                "publish": publish,
            }
        },
    )
    assert data["createEvent"]["userErrors"] == []
    event: dict[str, Any] = data["createEvent"]["event"]
    return event


async def test_a_draft_reaches_the_public_feed_when_published(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    start = (await gql.ok(CHANGES, {"first": 0}))["changes"]["currentCursor"]

    factories.log_in_as(client, leader)
    draft = await _create(gql, team.id, publish=False)
    mine = await _all_changes(gql, start)
    assert _kinds(mine) == [("CREATED", "Event"), ("CREATED", "Shift"), ("UPDATED", "Event")]
    assert mine[0]["nodeId"] == draft["id"]
    # The change itself is a node, for whoever may see it.
    node = await gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": mine[0]["id"]})
    assert node["node"] == {"id": mine[0]["id"]}

    factories.log_in_as(client, None)
    assert await _all_changes(gql, start) == []
    node = await gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": mine[0]["id"]})
    assert node["node"] is None
    page = (await gql.ok(CHANGES, {"after": start}))["changes"]
    assert page["totalCount"] == 0 and page["pageInfo"]["endCursor"] is None

    factories.log_in_as(client, leader)
    assert (await gql.ok(PUBLISH, {"id": draft["id"]}))["publishEvent"]["userErrors"] == []
    assert _kinds((await _all_changes(gql, start))[3:]) == [
        ("UPDATED", "Event"),
        ("UPDATED", "Shift"),
    ]
    factories.log_in_as(client, None)
    public = await _all_changes(gql, start)
    assert _kinds(public) == [("CREATED", "Event"), ("CREATED", "Shift")]
    assert [c["nodeId"] for c in public] == [draft["id"], draft["shifts"][0]["id"]]


async def test_cancelled_events_are_updates_readable_through_statuses(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    factories.log_in_as(client, leader)
    event = await _create(gql, team.id, publish=True)
    factories.log_in_as(client, None)
    start = (await gql.ok(CHANGES, {"first": 0}))["changes"]["currentCursor"]
    factories.log_in_as(client, leader)
    assert (await gql.ok(CANCEL, {"id": event["id"]}))["cancelEvent"]["userErrors"] == []

    factories.log_in_as(client, None)
    changed = await _all_changes(gql, start)
    assert ("UPDATED", "Event") in _kinds(changed)
    assert {c["nodeId"] for c in changed} >= {event["id"]}
    # The default list leaves it out (existing clients see what they always saw)…
    listed = (await gql.ok(EVENTS, {"filter": None}))["events"]["nodes"]
    assert listed == []
    # …and `statuses` lists it, as it is now.
    listed = (await gql.ok(EVENTS, {"filter": {"statuses": ["PUBLISHED", "CANCELLED"]}}))["events"][
        "nodes"
    ]
    assert [(e["id"], e["status"]) for e in listed] == [(event["id"], "CANCELLED")]


async def test_drafts_are_listed_by_status_only_to_their_organizers(client, database):
    gql = GraphQLClient(client)
    leader, stranger = await factories.volunteer("队长"), await factories.volunteer("路人")
    team = await factories.team(leaders=(leader,))
    draft = await factories.event(team, status=EventStatus.DRAFT)
    drafts = {"filter": {"statuses": ["DRAFT"]}}
    for who in (None, stranger):
        factories.log_in_as(client, who)
        assert (await gql.ok(EVENTS, drafts))["events"]["nodes"] == []
    factories.log_in_as(client, leader)
    listed = (await gql.ok(EVENTS, drafts))["events"]["nodes"]
    assert [e["id"] for e in listed] == [encode_id("Event", draft.id)]


async def test_updated_since_lists_what_changed_seats_included(client, database):
    gql = GraphQLClient(client)
    volunteer = await factories.volunteer()
    team = await factories.team()
    quiet, busy, renamed = [await factories.event(team, title=t) for t in ("安静", "热闹", "旧名")]
    for event in (quiet, busy, renamed):  # all of them changed long ago
        await Event.filter(id=event.id).update(updated_at=datetime(2001, 1, 1, tzinfo=UTC))
        await Shift.filter(event_id=event.id).update(updated_at=datetime(2001, 1, 1, tzinfo=UTC))
    since = "2020-01-01T00:00:00+08:00"
    assert (await gql.ok(EVENTS, {"filter": {"updatedSince": since}}))["events"]["nodes"] == []

    shift = await Shift.get(event_id=busy.id)
    factories.log_in_as(client, volunteer)
    answer = await gql.ok(SIGN_UP, {"shift": encode_id("Shift", shift.id), "key": "k-1"})
    assert answer["signUp"]["signup"]["status"] == "CONFIRMED"
    await Event.filter(id=renamed.id).update(title="新名")

    listed = (await gql.ok(EVENTS, {"filter": {"updatedSince": since}}))["events"]["nodes"]
    assert {e["title"] for e in listed} == {"热闹", "新名"}
    busy_now = next(e for e in listed if e["title"] == "热闹")
    # An event's updatedAt is its own or its latest shift's, and updatedSince compares with it
    assert busy_now["updatedAt"] == max(s["updatedAt"] for s in busy_now["shifts"])
    later = await gql.ok(EVENTS, {"filter": {"updatedSince": busy_now["updatedAt"]}})
    assert "热闹" in {e["title"] for e in later["events"]["nodes"]}
    refused = await gql(EVENTS, {"filter": {"updatedSince": "2020-01-01T00:00:00"}})
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_changes_is_paged_and_costed_like_other_connections(client, database):
    gql = GraphQLClient(client)
    for i in range(5):
        await factories.community(f"小区{i}")
    body = await gql(CHANGES, {"first": 2})
    page = body["data"]["changes"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    assert page["totalCount"] == 5
    # The connection and its pageInfo (1 + 1), 2 edges with their change (2 + 2).
    assert body["extensions"]["cost"] == 1 + 1 + 2 + 2
    rest = await gql.ok(CHANGES, {"after": page["pageInfo"]["endCursor"], "first": 100})
    assert len(rest["changes"]["edges"]) == 3
    assert rest["changes"]["totalCount"] == 3
    too_many = await gql(CHANGES, {"first": 101})
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    bad = await gql(CHANGES, {"after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    only_teams = await gql.ok(CHANGES, {"types": ["TEAM"]})
    assert only_teams["changes"]["edges"] == []


async def test_an_expired_cursor_says_to_read_everything_again(client, database, fake_clock):
    from api.domain import changes

    gql = GraphQLClient(client)
    await factories.community("甲")
    first = (await gql.ok(CHANGES, {"first": 1}))["changes"]["edges"][0]["cursor"]
    await factories.community("乙")
    fake_clock.advance(timedelta(days=40))
    while await changes.prune_expired():
        pass
    expired = await gql(CHANGES, {"after": first})
    [error] = expired["errors"]
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "Read everything again" in error["message"]
    # The way back: the current cursor, after a full read.
    current = (await gql.ok(CHANGES, {"first": 0}))["changes"]["currentCursor"]
    assert (await gql.ok(CHANGES, {"after": current}))["changes"]["edges"] == []
