"""Builders for test data, written through the domain where rules matter (tests and benches)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import httpx

from api.domain import sessions
from api.domain.events import EventDraft, ShiftDraft
from api.http.sessions import SESSION_COOKIE
from api.infra import clock
from api.infra.passwords import hash_password
from api.models import (
    Community,
    CommunityLevel,
    Event,
    EventKind,
    EventStatus,
    Shift,
    Team,
    TeamMembership,
    TeamRole,
    UserSession,
    Volunteer,
)
from api.settings import SHANGHAI

PASSWORD = "correct horse battery"
_phones = itertools.count(13900000001)
# A Saturday in the future, 09:00 in Shanghai.
SATURDAY_9 = datetime(2031, 3, 1, 9, 0, tzinfo=SHANGHAI)


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def session_token(volunteer_id: int) -> str:
    """The session cookie value the test harness gives a volunteer (see `open_sessions`)."""
    return "test-" + hashlib.sha256(f"linli-tests:{volunteer_id}".encode()).hexdigest()[:40]


async def open_sessions(volunteer_ids: list[int]) -> None:
    """A server-side session per volunteer, so that `log_in_as` and `client.cookie_for` can act
    as them without an argon2 log-in (tests only: the tokens are predictable)."""
    now = clock.now()
    await UserSession.bulk_create(
        [
            UserSession(
                volunteer_id=volunteer_id,
                token_digest=sessions.digest(session_token(volunteer_id)),
                user_agent="test harness",
                created_at=now,
                last_seen_at=now,
                # never expires: tests move the clock by years (a real session slides instead)
                expires_at=now + timedelta(days=365 * 200),
            )
            for volunteer_id in volunteer_ids
        ],
        batch_size=500,
    )


async def volunteer(name: str = "志愿者", *, admin: bool = False) -> Volunteer:
    v = await Volunteer.create(
        phone=str(next(_phones)), password_hash=password_hash(), display_name=name, is_admin=admin
    )
    await open_sessions([v.id])
    return v


async def community(name: str = "尊湖小区", parent: Community | None = None) -> Community:
    level = CommunityLevel.COMPOUND if parent else CommunityLevel.DISTRICT
    return await Community.create(name=name, parent=parent, level=level)


async def team(
    name: str = "巾帼志愿者服务队",
    *,
    leaders: tuple[Volunteer, ...] = (),
    members: tuple[Volunteer, ...] = (),
    place: Community | None = None,
) -> Team:
    t = await Team.create(name=name, description="", community=place)
    for v in leaders:
        await TeamMembership.create(team=t, volunteer=v, role=TeamRole.LEADER)
    for v in members:
        await TeamMembership.create(team=t, volunteer=v, role=TeamRole.MEMBER)
    return t


def soon(days: float = 3, hour: int = 1) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hour)


async def event(
    owner: Team,
    *,
    title: str = "义剪服务",
    kind: EventKind = EventKind.HAIRCUT,
    status: EventStatus = EventStatus.PUBLISHED,
    starts_at: datetime | None = None,
    hours: float = 2,
    capacities: tuple[int, ...] = (5,),
    place: Community | None = None,
) -> Event:
    starts_at = starts_at or soon()
    ends_at = starts_at + timedelta(hours=hours)
    e = await Event.create(
        team=owner,
        title=title,
        kind=kind,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        location_name="尊湖小区党群服务站",
        location_address="泉州台商投资区东园镇",
        community=place,
    )
    for i, capacity in enumerate(capacities):
        await Shift.create(
            event=e, role=f"岗位{i + 1}", starts_at=starts_at, ends_at=ends_at, capacity=capacity
        )
    return e


def event_draft(team_id: int, starts_at: datetime = SATURDAY_9) -> EventDraft:
    """A published three-hour clean-up with two shifts (10 and 3 seats), not yet saved."""
    return EventDraft(
        team_id=team_id,
        title="每月环境清洁",
        kind=EventKind.CLEANUP,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        location_name="尊湖小区",
        shifts=[
            ShiftDraft("清扫", starts_at, starts_at + timedelta(hours=2), 10),
            ShiftDraft("收尾", starts_at + timedelta(hours=2), starts_at + timedelta(hours=3), 3),
        ],
        publish=True,
    )


def log_in_as(http: httpx.AsyncClient, who: Volunteer | None) -> None:
    """Sets (or clears) the browser session cookie for `who`."""
    http.cookies.clear()
    if who is not None:
        http.cookies.set(SESSION_COOKIE, session_token(who.id))
