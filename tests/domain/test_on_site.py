"""On site: a leader adds a walk-in neighbour, marks everyone present, messages everyone."""

import asyncio
from datetime import timedelta

from api.domain import announcements, attendance, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.infra import clock
from api.models import DomainEvent, HoursEntry, Shift, Signup, SignupStatus, Volunteer
from tests import factories
from tests.conftest import GraphQLClient

WALK_IN = """
mutation($shift: ID!, $phone: String!, $name: String!) {
  addWalkIn(input: {shiftId: $shift, phone: $phone, name: $name}) {
    signup { status volunteer { displayName } } userErrors { code field }
  }
}"""
ALL_PRESENT = """
mutation($event: ID!) { markAllPresent(input: {eventId: $event}) { markedCount refusedCount userErrors { code } } }"""
MESSAGE = """
mutation($event: ID!, $text: String!, $w: Boolean!) {
  messageParticipants(input: {eventId: $event, text: $text, includeWaitlisted: $w}) {
    recipientCount userErrors { code }
  }
}"""


async def test_a_walk_in_gets_a_minimal_account_and_a_seat(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(2,))
    shift = await Shift.get(event_id=event.id)
    factories.log_in_as(client, leader)
    variables = {"shift": encode_id("Shift", shift.id), "phone": "139 1234 5678", "name": "王阿姨"}
    # Two taps at once add her once.
    answers = await asyncio.gather(*(gql.ok(WALK_IN, variables) for _ in range(2)))
    assert {a["addWalkIn"]["signup"]["status"] for a in answers} == {"CONFIRMED"}
    person = await Volunteer.get(phone="13912345678")
    assert (person.display_name, person.added_by_id) == ("王阿姨", leader.id)
    assert await Signup.filter(volunteer_id=person.id).count() == 1
    await shift.refresh_from_db()
    assert shift.seats_taken == 1
    bad = await gql.ok(WALK_IN, {**variables, "phone": "12345"})
    assert bad["addWalkIn"]["userErrors"][0]["field"] == ["phone"]


async def test_a_walk_in_needs_a_free_seat(client, database):
    gql = GraphQLClient(client)
    leader, seated = await factories.volunteer("队长"), await factories.volunteer()
    team = await factories.team(leaders=(leader,))
    shift = await Shift.get(event_id=(await factories.event(team, capacities=(1,))).id)
    await signups.sign_up(Actor(volunteer=seated), shift.id, "k")
    factories.log_in_as(client, leader)
    answer = await gql.ok(
        WALK_IN, {"shift": encode_id("Shift", shift.id), "phone": "13912345678", "name": "王阿姨"}
    )
    assert answer["addWalkIn"]["userErrors"][0]["code"] == "SHIFT_FULL"
    assert not await Volunteer.filter(phone="13912345678", signups__id__isnull=False).exists()


async def test_mark_everyone_present_credits_the_shift_hours(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    people = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    event = await factories.event(team, capacities=(5,), starts_at=start, hours=2.5)
    shift = await Shift.get(event_id=event.id)
    for i, person in enumerate(people):
        await signups.sign_up(Actor(volunteer=person), shift.id, f"k{i}")
    clock.set_clock(lambda: start + timedelta(hours=1))
    factories.log_in_as(client, people[0])
    refused = await gql.ok(ALL_PRESENT, {"event": encode_id("Event", event.id)})
    assert refused["markAllPresent"]["userErrors"][0]["code"] == "FORBIDDEN"
    factories.log_in_as(client, leader)
    answer = await gql.ok(ALL_PRESENT, {"event": encode_id("Event", event.id)})
    assert answer["markAllPresent"] == {"markedCount": 3, "refusedCount": 0, "userErrors": []}
    assert await Signup.filter(status=SignupStatus.ATTENDED).count() == 3
    totals = [e.centihours for e in await HoursEntry.all()]
    assert totals == [250, 250, 250]


async def test_a_message_reaches_everyone_confirmed(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    people = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(2,))
    shift = await Shift.get(event_id=event.id)
    for i, person in enumerate(people):
        await signups.sign_up(Actor(volunteer=person), shift.id, f"k{i}")
    factories.log_in_as(client, leader)
    variables = {"event": encode_id("Event", event.id), "text": "请带好工具", "w": False}
    answer = await gql.ok(MESSAGE, variables)
    assert answer["messageParticipants"]["recipientCount"] == 2
    answer = await gql.ok(MESSAGE, {**variables, "w": True})
    assert answer["messageParticipants"]["recipientCount"] == 3
    rows = await DomainEvent.filter(kind="EVENT_MESSAGE").order_by("id")
    assert [sorted(r.payload["volunteer_ids"]) for r in rows] == [
        sorted(p.id for p in people[:2]),
        sorted(p.id for p in people),
    ]
    empty = await gql.ok(MESSAGE, {**variables, "text": "  "})
    assert empty["messageParticipants"]["userErrors"][0]["code"] == "INVALID_INPUT"
    factories.log_in_as(client, people[0])
    forbidden = await gql.ok(MESSAGE, variables)
    assert forbidden["messageParticipants"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_burst_of_walk_ins_stops_at_the_hourly_quota(client, database, monkeypatch):
    monkeypatch.setattr(attendance, "WALK_INS_PER_HOUR", 5)
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    shift = await Shift.get(event_id=(await factories.event(team, capacities=(20,))).id)
    factories.log_in_as(client, leader)
    answers = await asyncio.gather(
        *(
            gql.ok(
                WALK_IN,
                {"shift": encode_id("Shift", shift.id), "phone": f"1391234{i:04d}", "name": "邻居"},
            )
            for i in range(9)
        )
    )
    codes = [
        a["addWalkIn"]["userErrors"][0]["code"] for a in answers if a["addWalkIn"]["userErrors"]
    ]
    added = await Volunteer.filter(added_by_id=leader.id).count()
    assert added <= 5 and added + len(codes) == 9
    assert set(codes) == {"RATE_LIMITED"}


async def test_a_burst_of_messages_stops_at_the_hourly_quota(client, database, monkeypatch):
    monkeypatch.setattr(announcements, "MESSAGES_PER_HOUR", 3)
    gql = GraphQLClient(client)
    leader, person = await factories.volunteer("队长"), await factories.volunteer()
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(2,))
    await signups.sign_up(Actor(volunteer=person), (await Shift.get(event_id=event.id)).id, "k")
    factories.log_in_as(client, leader)
    variables = {"event": encode_id("Event", event.id), "text": "集合时间改为九点", "w": False}
    answers = await asyncio.gather(*(gql.ok(MESSAGE, variables) for _ in range(7)))
    sent = await DomainEvent.filter(kind="EVENT_MESSAGE").count()
    refused = [a for a in answers if a["messageParticipants"]["userErrors"]]
    assert sent <= 3 and sent + len(refused) == 7
    assert {a["messageParticipants"]["userErrors"][0]["code"] for a in refused} == {"RATE_LIMITED"}
