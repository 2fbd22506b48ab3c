"""The demo neighbourhood and the load generator (on every backend, see conftest.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from api.demo.load import generate_load
from api.demo.neighbourhood import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    DEMO_PASSWORD,
    anchor_saturday,
    load_demo,
)
from api.domain.hours import shift_centihours
from api.domain.signups import SEAT_HOLDING
from api.infra.passwords import verify_password
from api.models import (
    Community,
    CommunityLevel,
    Event,
    EventStatus,
    HoursEntry,
    HoursMethod,
    Shift,
    Signup,
    SignupStatus,
    Team,
    TeamMembership,
    TeamRole,
    Volunteer,
)
from api.settings import SHANGHAI

NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Quanzhou
TEAM_NAMES = {
    "巾帼志愿者服务队",
    "治安巡逻队",
    "法律咨询小分队",
    "绿色环保小分队",
    "文明劝导小分队",
    "厝边帮帮团",
}


def quiet(_: str) -> None:
    pass


async def counts() -> dict[str, int]:
    return {
        "community": await Community.all().count(),
        "team": await Team.all().count(),
        "volunteer": await Volunteer.all().count(),
        "membership": await TeamMembership.all().count(),
        "event": await Event.all().count(),
        "shift": await Shift.all().count(),
        "signup": await Signup.all().count(),
        "hours": await HoursEntry.all().count(),
    }


async def assert_counters_consistent() -> None:
    by_shift: dict[int, Counter[str]] = {}
    tickets: dict[int, list[int]] = {}
    for shift_id, status, ticket in await Signup.all().values_list(
        "shift_id", "status", "waitlist_ticket"
    ):
        by_shift.setdefault(shift_id, Counter())[status] += 1
        if status == SignupStatus.WAITLISTED:
            tickets.setdefault(shift_id, []).append(ticket)
    for shift in await Shift.all():
        statuses = by_shift.get(shift.id, Counter())
        held = sum(statuses[status] for status in SEAT_HOLDING)
        assert shift.seats_taken == held <= shift.capacity
        assert shift.waitlist_count == statuses[SignupStatus.WAITLISTED]
        if shift.waitlist_count:
            assert shift.seats_taken == shift.capacity  # a waitlist only behind a full shift
            assert sorted(tickets[shift.id]) == list(range(1, shift.waitlist_count + 1))
            assert shift.waitlist_ticket == shift.waitlist_count


async def test_demo_builds_the_neighbourhood_of_the_reports(database: str) -> None:
    summary = await load_demo(NOW, log=quiet)

    districts = await Community.filter(level=CommunityLevel.DISTRICT).values_list("name", flat=True)
    assert {"东园镇", "丰泽街道", "东湖街道"} <= set(districts)
    compounds = await Community.filter(level=CommunityLevel.COMPOUND).prefetch_related(
        "parent__parent"
    )
    assert len(compounds) >= 8
    assert {"尊湖小区", "鸿盛名邸", "明鑫花苑", "兴淮花苑", "东湖新村", "国际星城"} <= {
        c.name for c in compounds
    }
    for compound in compounds:  # compound → community → district
        assert compound.parent.level == CommunityLevel.COMMUNITY
        assert compound.parent.parent.level == CommunityLevel.DISTRICT

    teams = await Team.all()
    assert TEAM_NAMES <= {team.name for team in teams}
    for team in teams:
        assert team.description
        roles = await TeamMembership.filter(team_id=team.id).values_list("role", flat=True)
        assert roles.count(TeamRole.LEADER) == 1 and roles.count(TeamRole.MEMBER) >= 3

    assert summary.teams == 6 and summary.events == await Event.all().count()


async def test_demo_accounts_can_log_in(database: str) -> None:
    await load_demo(NOW, log=quiet)
    admin = await Volunteer.get(phone=ADMIN_PHONE)
    assert admin.is_admin and admin.display_name == "管理员"
    assert verify_password(admin.password_hash, ADMIN_PASSWORD)
    leader = await TeamMembership.filter(role=TeamRole.LEADER).first().prefetch_related("volunteer")
    assert leader is not None
    assert not leader.volunteer.is_admin
    assert verify_password(leader.volunteer.password_hash, DEMO_PASSWORD)
    assert not verify_password(leader.volunteer.password_hash, ADMIN_PASSWORD)


async def test_demo_events_are_upcoming_in_quanzhou_time(database: str) -> None:
    await load_demo(NOW, log=quiet)
    events = await Event.filter(status__not=EventStatus.COMPLETED)
    assert len(events) >= 12
    published = [e for e in events if e.status == EventStatus.PUBLISHED]
    assert len({e.kind for e in published}) >= 6
    assert 1 <= sum(e.status == EventStatus.DRAFT for e in events) <= 3
    anchor = anchor_saturday(NOW)
    for event in events:
        assert NOW < event.starts_at < event.ends_at
        assert (event.starts_at - NOW).days < 28
        local = event.starts_at.astimezone(SHANGHAI)
        assert local.date() >= anchor and 7 <= local.hour <= 20
        assert event.location_name and event.location_address
        shifts = await Shift.filter(event_id=event.id)
        assert shifts and all(2 <= s.capacity <= 30 for s in shifts)
    haircut = next(e for e in events if e.title == "便民服务点义剪")
    local = haircut.starts_at.astimezone(SHANGHAI)
    assert (local.weekday(), local.hour, local.minute) == (5, 9, 0)  # Saturday 09:00
    assert haircut.location_name == "尊湖小区便民服务点"


async def test_demo_past_events_were_held_with_attendance_and_hours(database: str) -> None:
    await load_demo(NOW, log=quiet)
    past = await Event.filter(starts_at__lt=NOW).prefetch_related("team")
    assert len(past) >= 10
    assert {e.team.name for e in past} == TEAM_NAMES  # every team has held events
    today = NOW.astimezone(SHANGHAI).date()
    for event in past:
        assert event.status == EventStatus.COMPLETED
        assert event.ends_at <= NOW and event.starts_at.astimezone(SHANGHAI).date() < today
        assert NOW - event.starts_at < timedelta(days=15)  # one and two weeks back
        # The same event, one or two weeks before one of the upcoming ones.
        assert await Event.filter(
            team_id=event.team_id, title=event.title, starts_at__gt=NOW
        ).exists()
    assert not await Event.filter(status=EventStatus.COMPLETED, starts_at__gt=NOW).exists()

    signups = await Signup.filter(shift__event__status=EventStatus.COMPLETED).prefetch_related(
        "shift__event"
    )
    statuses = Counter(s.status for s in signups)
    assert set(statuses) == {SignupStatus.ATTENDED, SignupStatus.NO_SHOW}
    assert statuses[SignupStatus.ATTENDED] >= 40
    assert 1 <= statuses[SignupStatus.NO_SHOW] <= statuses[SignupStatus.ATTENDED] // 10
    leaders = dict(
        await TeamMembership.filter(role=TeamRole.LEADER).values_list("team_id", "volunteer_id")
    )
    for signup in signups:
        entries = await HoursEntry.filter(signup_id=signup.id)
        assert signup.confirmed_at is not None and signup.confirmed_at < signup.shift.starts_at
        if signup.status == SignupStatus.NO_SHOW:
            assert not entries and signup.checked_in_at is None
            continue
        assert signup.checked_in_at is not None
        assert signup.checked_in_at <= signup.shift.starts_at
        assert sum(e.centihours for e in entries) == shift_centihours(signup.shift)
        for entry in entries:
            assert entry.method == HoursMethod.LEADER
            assert entry.volunteer_id == signup.volunteer_id
            assert entry.recorded_by_id == leaders[signup.shift.event.team_id]
    await assert_counters_consistent()


async def test_demo_past_events_are_the_same_all_day_long(database: str) -> None:
    # Early on a Saturday: that day's events are not held yet, and are not created as such
    # later that day either (22:00 there), so a second run adds nothing.
    saturday_morning = datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # 07:00 in Quanzhou
    await load_demo(saturday_morning, log=quiet)
    assert not await Event.filter(status=EventStatus.COMPLETED, ends_at__gt=saturday_morning)
    before = await counts()
    second = await load_demo(saturday_morning + timedelta(hours=15), log=quiet)
    assert second.created == 0 and await counts() == before


async def test_demo_nobody_is_on_two_shifts_at_once_and_places_read_well(database: str) -> None:
    await load_demo(NOW, log=quiet)
    # Sign-ups on a later day too: the one-week-later run adds new events for the same people.
    await load_demo(NOW + timedelta(days=7), log=quiet)
    rows = await Signup.filter(status__in=[*SEAT_HOLDING, SignupStatus.WAITLISTED]).values_list(
        "volunteer_id", "status", "shift__starts_at", "shift__ends_at"
    )
    by_volunteer: dict[int, list[tuple[datetime, datetime]]] = {}
    for volunteer_id, _, starts_at, ends_at in rows:
        by_volunteer.setdefault(volunteer_id, []).append((starts_at, ends_at))
    assert len(by_volunteer) >= 25
    for times in by_volunteer.values():
        times.sort()
        for (_, first_end), (second_start, _) in zip(times, times[1:], strict=False):
            assert first_end <= second_start  # no overlap, whatever the status
    names = await Event.all().values_list("location_name", flat=True)
    assert names and not any("小区小区" in name for name in names)
    assert "玉龙花苑正门门岗" in names


async def test_demo_signups_keep_the_counters_consistent(database: str) -> None:
    await load_demo(NOW, log=quiet)
    await assert_counters_consistent()
    confirmed = await Signup.filter(status=SignupStatus.CONFIRMED)
    assert len(confirmed) >= 30
    assert all(s.confirmed_at is not None and s.waitlist_ticket is None for s in confirmed)
    waitlisted = await Signup.filter(status=SignupStatus.WAITLISTED).order_by("created_at")
    assert [s.waitlist_ticket for s in waitlisted] == [1, 2]
    assert all(s.confirmed_at is None for s in waitlisted)
    full = await Shift.get(id=waitlisted[0].shift_id)
    assert full.seats_taken == full.capacity and full.seats_left == 0
    assert (
        await Signup.filter(idempotency_key__startswith="demo-").count()
        == await Signup.all().count()
    )


async def test_demo_is_idempotent(database: str) -> None:
    first = await load_demo(NOW, log=quiet)
    before = await counts()
    assert first.created == sum(before.values())
    later_that_day = NOW.replace(hour=14)  # 22:00 in Quanzhou: still the same day
    second = await load_demo(later_that_day, log=quiet)
    assert second.created == 0
    assert await counts() == before
    await assert_counters_consistent()


async def test_demo_logs_what_it_did(database: str) -> None:
    lines: list[str] = []
    await load_demo(NOW, log=lines.append)
    assert any(line.startswith("events:") for line in lines)


async def test_generate_load_adds_volunteers_events_and_consistent_signups(database: str) -> None:
    await load_demo(NOW, log=quiet)
    before = await counts()
    last_event = await Event.all().order_by("-id").first()
    assert last_event is not None
    lines: list[str] = []
    await generate_load(200, 20, log=lines.append, now=NOW)
    after = await counts()
    assert after["volunteer"] - before["volunteer"] == 200
    assert after["event"] - before["event"] == 20
    assert after["shift"] - before["shift"] >= 40
    assert after["signup"] - before["signup"] >= 20 * 20
    assert "volunteers 200/200" in lines and any(line.startswith("events 20/20") for line in lines)
    await assert_counters_consistent()

    generated = await Volunteer.filter(phone__startswith="19")
    assert len(generated) == 200 and len({v.phone for v in generated}) == 200
    assert verify_password(generated[0].password_hash, DEMO_PASSWORD)
    new_events = await Event.filter(id__gt=last_event.id)
    assert len(new_events) == 20
    assert all(NOW < e.starts_at < e.ends_at for e in new_events)
    drafts = [e.id for e in new_events if e.status == EventStatus.DRAFT]
    assert not await Signup.filter(shift__event_id__in=drafts).exists()


async def test_generate_load_twice_does_not_collide(database: str) -> None:
    await generate_load(50, 5, log=quiet, now=NOW)
    await generate_load(50, 5, log=quiet, now=NOW)
    assert await Volunteer.all().count() == 100
    assert await Event.all().count() == 10
    await assert_counters_consistent()
    # New rows still get their ids from the database afterwards.
    team = await Team.first()
    assert team is not None
    await Event.create(
        title="after", kind="OTHER", starts_at=NOW, ends_at=NOW.replace(hour=3), team=team
    )
