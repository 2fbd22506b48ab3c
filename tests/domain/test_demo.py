"""The demo neighbourhood and the load generator (on every backend, see conftest.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from api.demo.load import generate_load
from api.demo.neighbourhood import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    DEMO_PASSWORD,
    anchor_saturday,
    load_demo,
)
from api.infra.passwords import verify_password
from api.models import (
    Community,
    CommunityLevel,
    Event,
    EventStatus,
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
        assert shift.seats_taken == statuses[SignupStatus.CONFIRMED] <= shift.capacity
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
    events = await Event.all()
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
