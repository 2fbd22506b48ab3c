"""The questions pages ask the domain (one function each): is the viewer a member of this team,
is a sign-up still ahead, which team or community a dashboard shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.domain import signups, stats, teams
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.http.ids import encode_id
from api.infra import clock
from api.models import Shift, Signup, SignupStatus, TeamMembership
from tests import factories
from tests.factories import log_in_as

MEMBER = "你是这个团队的成员"


async def test_team_page_says_who_is_a_member(client, database):
    leader, member, outsider = [await factories.volunteer(n) for n in ("组长", "队员", "路人")]
    team = await factories.team(leaders=(leader,))
    await TeamMembership.create(team=team, volunteer=member)
    assert not await teams.is_member(Actor(), team.id)
    assert not await teams.is_member(Actor(volunteer=outsider), team.id)
    assert await teams.is_member(Actor(volunteer=member), team.id)
    assert await teams.is_member(Actor(volunteer=leader), team.id)
    page = f"/teams/{encode_id('Team', team.id)}"
    for who, shown in ((None, False), (outsider, False), (member, True), (leader, True)):
        log_in_as(client, who)
        answer = await client.get(page)
        assert answer.status_code == 200
        assert (MEMBER in answer.text) is shown, who


async def test_my_page_puts_each_sign_up_ahead_or_past(client, database):
    volunteer = await factories.volunteer("王阿姨")
    team = await factories.team()
    now = clock.now()
    ahead = await factories.event(team, title="下周义剪", starts_at=now + timedelta(days=7))
    over = await factories.event(team, title="上周义诊", starts_at=now - timedelta(days=7))
    attended = await factories.event(team, title="今早巡逻", starts_at=now - timedelta(hours=1))
    for event, status in (
        (ahead, SignupStatus.WAITLISTED),
        (over, SignupStatus.CONFIRMED),  # never marked: over all the same
        (attended, SignupStatus.ATTENDED),  # checked in; the shift is still on
    ):
        shift = await Shift.get(event_id=event.id)
        await Signup.create(
            shift=shift, volunteer=volunteer, status=status, idempotency_key=event.title
        )
    log_in_as(client, volunteer)
    page = (await client.get("/me")).text.split('<section id="account"')[0]  # shifts only
    upcoming, past = page.rsplit("<h2", 1)  # the last heading is the past's
    upcoming = upcoming.rsplit("<h2", 1)[1]  # the one before it, what is ahead
    assert "下周义剪" in upcoming and "下周义剪" not in past
    assert "上周义诊" in past and "今早巡逻" in past
    assert "上周义诊" not in upcoming and "今早巡逻" not in upcoming
    end = now + timedelta(hours=1)
    assert signups.is_upcoming("CONFIRMED", end, now)
    assert signups.is_upcoming(SignupStatus.WAITLISTED, now, now)
    assert not signups.is_upcoming("CONFIRMED", now - timedelta(seconds=1), now)
    for status in ("CANCELLED", "ATTENDED", "NO_SHOW"):
        assert not signups.is_upcoming(status, end, now)


async def test_dashboards_name_their_team_or_community(database):
    admin = Actor(volunteer=await factories.volunteer("管理员", admin=True))
    leader = await factories.volunteer("组长")
    team = await factories.team("巾帼志愿者服务队", leaders=(leader,))
    place = await factories.community("东园镇")
    shown, figures = await stats.team_with_stats(Actor(volunteer=leader), team.id)
    assert shown.name == "巾帼志愿者服务队" and figures.events_held == 0
    community, _ = await stats.community_with_stats(admin, place.id)
    assert community.name == "东园镇"
    with pytest.raises(DomainError) as missing:
        await stats.team_with_stats(admin, team.id + 1000)
    assert missing.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as refused:
        await stats.community_with_stats(Actor(volunteer=leader), place.id)
    assert refused.value.code == ErrorCode.FORBIDDEN
