"""Journeys that must never double-book or rewrite the past: promotion skips a volunteer who
now holds an overlapping shift, overlapping sign-ups sent at once cannot both confirm, a
volunteer's own cancellation closes at the start, nobody is promoted into a started shift,
late cancellations are recorded, and closing an event records the no-shows."""

import asyncio
from datetime import timedelta

from api.domain import closing, signups
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.http.ids import encode_id
from api.infra import clock
from api.models import DomainEvent, Event, EventStatus, Shift, Signup, SignupStatus
from tests import factories
from tests.conftest import GraphQLClient

SIGN_UP = """
mutation($shift: ID!, $key: String!) {
  signUp(input: {shiftId: $shift, idempotencyKey: $key}) {
    signup { status } userErrors { code }
  }
}"""
CANCEL = """
mutation($id: ID!) {
  cancelSignup(input: {signupId: $id}) { signup { status } userErrors { code message } }
}"""


async def _shift(event) -> Shift:
    return await Shift.filter(event_id=event.id).first()


async def _confirmed(volunteer, shift, key="k") -> Signup:
    return await signups.sign_up(Actor(volunteer=volunteer), shift.id, key)


async def test_promotion_skips_a_volunteer_now_busy_elsewhere(database):
    team = await factories.team()
    start = factories.soon()
    full = await _shift(await factories.event(team, capacities=(1,), starts_at=start))
    other = await _shift(
        await factories.event(team, capacities=(5,), starts_at=start + timedelta(hours=1))
    )
    seated, busy, next_in_line = [await factories.volunteer(f"v{i}") for i in range(3)]
    mine = await _confirmed(seated, full)
    assert (await _confirmed(busy, full)).status == SignupStatus.WAITLISTED
    assert (await _confirmed(next_in_line, full)).status == SignupStatus.WAITLISTED
    # Meanwhile the head of the waitlist took an overlapping shift elsewhere.
    assert (await _confirmed(busy, other, "k2")).status == SignupStatus.CONFIRMED

    await signups.cancel_signup(Actor(volunteer=seated), mine.id)

    assert (await Signup.get(volunteer_id=busy.id, shift_id=full.id)).status == "WAITLISTED"
    assert (await Signup.get(volunteer_id=next_in_line.id)).status == SignupStatus.CONFIRMED
    await full.refresh_from_db()
    assert (full.seats_taken, full.waitlist_count) == (1, 1)
    confirmed = await Signup.filter(volunteer_id=busy.id, status=SignupStatus.CONFIRMED)
    assert [s.shift_id for s in confirmed] == [other.id]


async def test_overlapping_sign_ups_sent_at_once_cannot_both_confirm(client, database):
    team = await factories.team()
    start = factories.soon()
    shifts = [
        await _shift(await factories.event(team, starts_at=start + timedelta(minutes=30 * i)))
        for i in range(4)
    ]
    volunteer = await factories.volunteer()
    factories.log_in_as(client, volunteer)

    async def one(i: int, shift: Shift) -> dict:
        answer = await client.post(
            "/graphql",
            json={
                "query": SIGN_UP,
                "variables": {"shift": encode_id("Shift", shift.id), "key": f"p{i}"},
            },
        )
        return answer.json()["data"]["signUp"]

    answers = await asyncio.gather(*(one(i, s) for i, s in enumerate(shifts)))
    statuses = sorted(
        a["signup"]["status"] if a["signup"] else a["userErrors"][0]["code"] for a in answers
    )
    assert statuses == ["CONFIRMED"] + ["SCHEDULE_CONFLICT"] * 3
    assert await Signup.filter(volunteer_id=volunteer.id, status="CONFIRMED").count() == 1
    seats = [s.seats_taken for s in await Shift.filter(id__in=[s.id for s in shifts])]
    assert sorted(seats) == [0, 0, 0, 1]  # the refused ones gave their seat back


async def test_own_cancellation_closes_when_the_shift_starts(client, database):
    gql = GraphQLClient(client)
    leader, volunteer = await factories.volunteer("队长"), await factories.volunteer()
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    shift = await _shift(await factories.event(team, starts_at=start))
    signup = await _confirmed(volunteer, shift)
    clock.set_clock(lambda: start + timedelta(minutes=5))

    factories.log_in_as(client, volunteer)
    answer = (await gql.ok(CANCEL, {"id": encode_id("Signup", signup.id)}))["cancelSignup"]
    assert answer["userErrors"][0]["code"] == "CANCELLATION_CLOSED"
    assert (await Signup.get(id=signup.id)).status == SignupStatus.CONFIRMED

    factories.log_in_as(client, leader)  # a leader can still remove them
    answer = (await gql.ok(CANCEL, {"id": encode_id("Signup", signup.id)}))["cancelSignup"]
    assert answer["signup"]["status"] == "CANCELLED"


async def test_nobody_is_promoted_into_a_started_shift(database):
    leader, seated, waiting = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    shift = await _shift(await factories.event(team, capacities=(1,), starts_at=start))
    mine = await _confirmed(seated, shift)
    await _confirmed(waiting, shift)
    clock.set_clock(lambda: start + timedelta(minutes=10))
    await signups.cancel_signup(Actor(volunteer=leader), mine.id)
    assert (await Signup.get(volunteer_id=waiting.id)).status == SignupStatus.WAITLISTED
    assert not await DomainEvent.filter(kind="PROMOTED_FROM_WAITLIST").exists()


async def test_a_cancellation_within_a_day_of_the_start_is_late(database):
    leader, early, late = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,), members=(early, late))
    start = factories.soon(days=3)
    shift = await _shift(await factories.event(team, starts_at=start))
    first, second = await _confirmed(early, shift), await _confirmed(late, shift)
    await signups.cancel_signup(Actor(volunteer=early), first.id)  # three days ahead
    clock.set_clock(lambda: start - timedelta(hours=3))
    await signups.cancel_signup(Actor(volunteer=late), second.id)
    assert (await Signup.get(id=first.id)).cancelled_late is False
    assert (await Signup.get(id=second.id)).cancelled_late is True
    seen_by_leader = await closing.reliability(Actor(volunteer=leader), late.id)
    assert seen_by_leader == closing.Reliability(no_shows=0, late_cancellations=1)
    stranger = await factories.volunteer("路人")
    assert await closing.reliability(Actor(volunteer=stranger), late.id) is None


async def test_closing_an_event_records_no_shows_and_keeps_hours(client, database):
    gql = GraphQLClient(client)
    leader, came, absent, waiting = [await factories.volunteer(f"v{i}") for i in range(4)]
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    event = await factories.event(team, capacities=(2,), starts_at=start)
    shift = await _shift(event)
    attended = await _confirmed(came, shift)
    missed = await _confirmed(absent, shift)
    await _confirmed(waiting, shift)
    clock.set_clock(lambda: start + timedelta(hours=3))
    await _mark_attended(leader, attended)

    factories.log_in_as(client, leader)
    answer = await gql.ok(
        "mutation($id: ID!) { completeEvent(input: {eventId: $id}) {"
        " event { status } userErrors { code } } }",
        {"id": encode_id("Event", event.id)},
    )
    assert answer["completeEvent"]["event"]["status"] == "COMPLETED"
    assert (await Signup.get(id=missed.id)).status == SignupStatus.NO_SHOW
    assert (await Signup.get(id=attended.id)).status == SignupStatus.ATTENDED
    assert (await Signup.get(volunteer_id=waiting.id)).status == SignupStatus.CANCELLED
    assert await closing.reliability(Actor(volunteer=absent), absent.id) == closing.Reliability(
        no_shows=1, late_cancellations=0
    )
    await shift.refresh_from_db()
    assert (shift.seats_taken, shift.waitlist_count) == (2, 0)


async def test_the_scheduler_closes_events_some_hours_after_the_end(database):
    team = await factories.team()
    start = factories.soon()
    ended = await factories.event(team, starts_at=start, hours=2)
    later = await factories.event(team, starts_at=start + timedelta(days=1))
    volunteer = await factories.volunteer()
    await _confirmed(volunteer, await _shift(ended))
    clock.set_clock(lambda: start + timedelta(hours=3))
    assert await closing.close_finished_events() == 0  # ended an hour ago: not yet
    clock.set_clock(lambda: start + timedelta(hours=9))
    # Two workers at once close it once.
    assert sum(await asyncio.gather(*(closing.close_finished_events() for _ in range(2)))) == 1
    assert (await Event.get(id=ended.id)).status == EventStatus.COMPLETED
    assert (await Event.get(id=later.id)).status == EventStatus.PUBLISHED
    assert (await Signup.get(volunteer_id=volunteer.id)).status == SignupStatus.NO_SHOW
    assert await DomainEvent.filter(kind="EVENT_COMPLETED").count() == 1


async def _mark_attended(leader, signup) -> None:
    from api.domain import checkin

    await checkin.mark_attendance(Actor(volunteer=leader), signup.id, SignupStatus.ATTENDED, None)


async def test_closing_refuses_a_future_event_and_strangers(database):
    leader, stranger = await factories.volunteer("队长"), await factories.volunteer("路人")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team)
    try:
        await closing.complete_event(Actor(volunteer=leader), event.id)
    except DomainError as exc:
        assert exc.code == ErrorCode.INVALID_STATE
    else:
        raise AssertionError("a future event was closed")
    clock.set_clock(lambda: event.ends_at + timedelta(hours=1))
    try:
        await closing.complete_event(Actor(volunteer=stranger), event.id)
    except DomainError as exc:
        assert exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
    else:
        raise AssertionError("a stranger closed the event")
    assert (await Event.get(id=event.id)).status == EventStatus.PUBLISHED


async def test_the_event_page_knows_which_shifts_clash_with_mine(database):
    team = await factories.team()
    start = factories.soon()
    mine = await _shift(await factories.event(team, starts_at=start))
    event = await factories.event(team, starts_at=start + timedelta(hours=1), capacities=(3, 3))
    clashing = await Shift.filter(event_id=event.id).order_by("id")
    later = await _shift(await factories.event(team, starts_at=start + timedelta(hours=5)))
    volunteer = await factories.volunteer()
    await _confirmed(volunteer, mine)
    found = await signups.clashing_shift_ids(volunteer.id, [mine, *clashing, later])
    assert found == {s.id for s in clashing}  # not the one I hold, not the later one
    assert await signups.clashing_shift_ids(None, [mine, *clashing]) == set()


async def test_a_volunteer_removed_by_a_leader_is_told(database):
    from api.domain import members, notifications
    from api.infra.i18n import render_stored
    from api.models import Notification

    leader, removed, quits = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,), members=(removed, quits))
    shift = await _shift(await factories.event(team, title="义剪服务"))
    theirs, mine = await _confirmed(removed, shift, "a"), await _confirmed(quits, shift, "b")
    await signups.cancel_signup(Actor(volunteer=leader), theirs.id)  # taken off by a leader
    await signups.cancel_signup(Actor(volunteer=quits), mine.id)  # their own choice
    await members.remove(Actor(volunteer=leader), team.id, removed.id)
    await notifications.dispatch_pending()
    told = await Notification.filter(volunteer_id=removed.id).order_by("id")
    texts = [render_stored(n.message, "zh-CN") for n in told]
    assert len(texts) == 2 and "移出" in texts[0] and "义剪服务" in texts[0]
    assert "不再是" in texts[1]
    assert not await Notification.filter(volunteer_id=quits.id).exists()


async def test_a_reminder_minutes_before_says_minutes(database):
    from api.domain import reminders
    from api.infra.i18n import render

    team = await factories.team()
    shift = await _shift(await factories.event(team))
    volunteer = await factories.volunteer()
    signup = await _confirmed(volunteer, shift)
    signup = await Signup.get(id=signup.id).select_related("shift__event")
    soon = render(reminders.message_for(signup, shift.starts_at - timedelta(minutes=3)), "zh-CN")
    later = render(reminders.message_for(signup, shift.starts_at - timedelta(hours=2)), "zh-CN")
    assert "约 3 分钟后" in soon and "小时" not in soon
    assert "约 2 小时后" in later
