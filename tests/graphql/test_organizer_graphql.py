"""Organizer mutations and the attendance page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.domain import notifications
from api.http.ids import encode_id
from api.infra import clock
from api.models import Event, Notification, NotificationKind, Shift, Signup, SignupStatus
from api.settings import SHANGHAI
from tests import factories
from tests.conftest import GraphQLClient

DUPLICATE = """mutation($id: ID!, $at: DateTime!) {
  duplicateEvent(input: {eventId: $id, startsAt: $at}) {
    event { id status startsAt shifts { role startsAt endsAt capacity } } userErrors { code } } }"""
UPDATE = """mutation($input: UpdateEventInput!) {
  updateEvent(input: $input) { event { startsAt location { name } shifts { startsAt } }
    userErrors { code field } } }"""
UPDATE_SHIFT = """mutation($id: ID!, $capacity: Int) {
  updateShift(input: {shiftId: $id, capacity: $capacity}) {
    shift { capacity seatsTaken waitlistCount } userErrors { code } } }"""


async def _setup(client):
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    start = datetime(2031, 5, 10, 9, 0, tzinfo=SHANGHAI)
    event = await factories.event(team, starts_at=start, hours=3, capacities=(1,))
    shift = (await event.shifts.all())[0]
    await Shift.filter(id=shift.id).update(ends_at=start + timedelta(hours=2))
    return GraphQLClient(client), leader, team, event, shift


async def test_duplicate_keeps_shifts_moved_by_the_offset(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    factories.log_in_as(client, leader)
    data = await gql.ok(
        DUPLICATE, {"id": encode_id("Event", event.id), "at": "2031-06-07T14:30:00+08:00"}
    )
    copy = data["duplicateEvent"]["event"]
    assert data["duplicateEvent"]["userErrors"] == []
    assert copy["status"] == "DRAFT"
    (s,) = copy["shifts"]
    starts = datetime.fromisoformat(s["startsAt"]).astimezone(SHANGHAI)
    ends = datetime.fromisoformat(s["endsAt"]).astimezone(SHANGHAI)
    assert (starts.month, starts.day, starts.hour, starts.minute) == (6, 7, 14, 30)
    assert ends - starts == timedelta(hours=2) and s["capacity"] == 1
    assert await Event.all().count() == 2
    factories.log_in_as(client, await factories.volunteer("路人"))
    data = await gql.ok(
        DUPLICATE, {"id": encode_id("Event", event.id), "at": "2031-06-07T14:30:00+08:00"}
    )
    assert data["duplicateEvent"]["userErrors"] == [{"code": "FORBIDDEN"}]


async def test_capacity_raise_promotes_and_lowering_is_refused(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    for name in ("甲", "乙", "丙"):
        v = await factories.volunteer(name)
        factories.log_in_as(client, v)
        await gql.ok(
            "mutation($s: ID!, $k: String!) { signUp(input: {shiftId: $s, idempotencyKey: $k}) { userErrors { code } } }",
            {"s": encode_id("Shift", shift.id), "k": name},
        )
    factories.log_in_as(client, leader)
    data = await gql.ok(UPDATE_SHIFT, {"id": encode_id("Shift", shift.id), "capacity": 2})
    assert data["updateShift"]["shift"] == {"capacity": 2, "seatsTaken": 2, "waitlistCount": 1}
    data = await gql.ok(UPDATE_SHIFT, {"id": encode_id("Shift", shift.id), "capacity": 1})
    assert data["updateShift"]["userErrors"] == [{"code": "CAPACITY_BELOW_CONFIRMED"}]
    await notifications.dispatch_pending()
    promoted = await Notification.filter(kind=NotificationKind.PROMOTED_FROM_WAITLIST)
    assert len(promoted) == 1


async def test_time_and_place_change_moves_shifts_and_notifies(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    v = await factories.volunteer("甲")
    factories.log_in_as(client, v)
    await gql.ok(
        'mutation($s: ID!) { signUp(input: {shiftId: $s, idempotencyKey: "x"}) { userErrors { code } } }',
        {"s": encode_id("Shift", shift.id)},
    )
    factories.log_in_as(client, leader)
    data = await gql.ok(
        UPDATE,
        {
            "input": {
                "eventId": encode_id("Event", event.id),
                "startsAt": "2031-05-10T10:00:00+08:00",
                "location": {"name": "社区活动中心"},
            }
        },
    )
    updated = data["updateEvent"]
    assert updated["userErrors"] == []
    assert updated["event"]["location"] == {"name": "社区活动中心"}
    shift_start = datetime.fromisoformat(updated["event"]["shifts"][0]["startsAt"])
    assert shift_start.astimezone(SHANGHAI).hour == 10
    await notifications.dispatch_pending()
    await notifications.dispatch_pending()
    changed = await Notification.filter(kind=NotificationKind.EVENT_CHANGED)
    assert [n.volunteer_id for n in changed] == [v.id]
    assert "社区活动中心" in changed[0].message


async def test_series_edit_following_and_cancel_rest(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    factories.log_in_as(client, leader)
    create = """mutation($input: CreateEventInput!) { createEvent(input: $input) {
        event { id series { id } } userErrors { code } } }"""
    data = await gql.ok(
        create,
        {
            "input": {
                "teamId": encode_id("Team", team.id),
                "title": "周六巡逻",
                "kind": "PATROL",
                "startsAt": "2031-03-01T09:00:00+08:00",
                "endsAt": "2031-03-01T11:00:00+08:00",
                "shifts": [
                    {
                        "role": "巡逻",
                        "startsAt": "2031-03-01T09:00:00+08:00",
                        "endsAt": "2031-03-01T11:00:00+08:00",
                        "capacity": 4,
                    }
                ],
                "publish": True,
                "recurrence": "FREQ=WEEKLY;COUNT=4",
            }
        },
    )
    first = await Event.get(id=int(await _pk(data["createEvent"]["event"]["id"])))
    series = await Event.filter(series_id=first.series_id).order_by("starts_at")
    second = series[1]
    data = await gql.ok(
        UPDATE,
        {
            "input": {
                "eventId": encode_id("Event", second.id),
                "scope": "FOLLOWING",
                "startsAt": datetime(2031, 3, 8, 8, 0, tzinfo=SHANGHAI).isoformat(),
            }
        },
    )
    assert data["updateEvent"]["userErrors"] == []
    hours = [
        e.starts_at.astimezone(SHANGHAI).hour
        for e in await Event.filter(series_id=first.series_id).order_by("starts_at")
    ]
    assert hours == [9, 8, 8, 8]
    data = await gql.ok(
        """mutation($id: ID!) { cancelSeriesFrom(input: {eventId: $id, reason: "场地装修"}) {
             events { status } userErrors { code } } }""",
        {"id": encode_id("Event", series[2].id)},
    )
    assert [e["status"] for e in data["cancelSeriesFrom"]["events"]] == ["CANCELLED"] * 2
    statuses = [
        e.status for e in await Event.filter(series_id=first.series_id).order_by("starts_at")
    ]
    assert statuses == ["PUBLISHED", "PUBLISHED", "CANCELLED", "CANCELLED"]


async def _pk(global_id: str) -> int:
    from api.http.ids import decode_id

    return decode_id(global_id)[1]


async def test_organize_page_shows_code_qr_and_marks_attendance(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    v = await factories.volunteer("甲")
    factories.log_in_as(client, v)
    await gql.ok(
        'mutation($s: ID!) { signUp(input: {shiftId: $s, idempotencyKey: "x"}) { userErrors { code } } }',
        {"s": encode_id("Shift", shift.id)},
    )
    path = f"/events/{encode_id('Event', event.id)}/organize"
    assert (await client.get(path)).status_code == 403
    factories.log_in_as(client, None)
    assert (await client.get(path)).status_code == 303
    factories.log_in_as(client, leader)
    page = await client.get(path)
    assert page.status_code == 200
    from api.domain.checkin import current_code

    code = current_code(shift.id)
    assert f"{code[:3]} {code[3:]}" in page.text
    assert "<svg" in page.text and "甲" in page.text and v.phone in page.text
    signup = await Signup.get(volunteer_id=v.id)
    clock.set_clock(lambda: shift.starts_at + timedelta(minutes=5))  # attendance once started
    response = await client.post(
        path, data={"signupId": encode_id("Signup", signup.id), "status": "NO_SHOW"}
    )
    assert response.status_code == 303
    assert (await Signup.get(id=signup.id)).status == SignupStatus.NO_SHOW


async def test_shift_times_given_in_shanghai_compare_correctly(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    factories.log_in_as(client, leader)
    data = await gql.ok(
        """mutation($id: ID!, $at: DateTime!) { updateShift(input: {shiftId: $id, startsAt: $at}) {
             shift { startsAt } userErrors { code } } }""",
        {"id": encode_id("Shift", shift.id), "at": "2031-05-10T10:00:00+08:00"},
    )
    assert data["updateShift"]["userErrors"] == []
    moved_to = datetime(2031, 5, 10, 2, 0, tzinfo=UTC)
    # Stored in UTC, so comparisons in the database (text on SQLite) see the instant.
    assert await Shift.filter(id=shift.id, starts_at__gte=moved_to).exists()
    assert not await Shift.filter(id=shift.id, starts_at__gt=moved_to).exists()


async def test_a_leaders_draft_series_shows_its_events_to_the_leader_only(client) -> None:
    gql, leader, team, event, shift = await _setup(client)
    factories.log_in_as(client, leader)
    data = await gql.ok(
        """mutation($input: CreateEventInput!) { createEvent(input: $input) {
          event { series { id events(first: 10) { totalCount nodes { status } } } }
          userErrors { code } } }""",
        {
            "input": {
                "teamId": encode_id("Team", team.id),
                "title": "周六义诊",
                "kind": "CLINIC",
                "startsAt": "2031-03-01T09:00:00+08:00",
                "endsAt": "2031-03-01T11:00:00+08:00",
                "shifts": [
                    {
                        "role": "医生",
                        "startsAt": "2031-03-01T09:00:00+08:00",
                        "endsAt": "2031-03-01T11:00:00+08:00",
                        "capacity": 2,
                    }
                ],
                "recurrence": "FREQ=WEEKLY;COUNT=3",
            }
        },
    )
    assert data["createEvent"]["userErrors"] == []
    series = data["createEvent"]["event"]["series"]
    assert series["events"]["totalCount"] == 3
    assert [n["status"] for n in series["events"]["nodes"]] == ["DRAFT"] * 3
    query = """query($id: ID!) { node(id: $id) { ... on EventSeries {
      events { totalCount } } } }"""
    for someone in (None, await factories.volunteer("路人")):
        factories.log_in_as(client, someone)
        data = await gql.ok(query, {"id": series["id"]})
        assert data["node"]["events"]["totalCount"] == 0
