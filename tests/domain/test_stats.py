"""Dashboard figures on known data; who may see them; the SVG dashboard and its CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest

from api.domain import events, signups, stats
from api.domain.actors import Actor
from api.domain.checkin import mark_attendance
from api.domain.errors import DomainError
from api.http.ids import encode_id
from api.infra import clock
from api.models import EventKind, EventStatus, SignupStatus
from api.settings import SHANGHAI
from tests import factories
from tests.conftest import GraphQLClient


async def _season():
    """Two events held (one haircut, one clinic), one cancelled, one draft; attendance taken."""
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", parent=district)
    elsewhere = await factories.community("别的镇")
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,), place=district)
    boss = Actor(volunteer=leader)
    haircut = await factories.event(team, kind=EventKind.HAIRCUT, hours=2, place=compound)
    clinic = await factories.event(team, kind=EventKind.CLINIC, starts_at=factories.soon(5))
    called_off = await factories.event(team, kind=EventKind.HAIRCUT, starts_at=factories.soon(6))
    await factories.event(team, status=EventStatus.DRAFT, starts_at=factories.soon(7))
    other_team = await factories.team(
        "别队", leaders=(await factories.volunteer("别队长"),), place=elsewhere
    )
    await factories.event(other_team, kind=EventKind.PATROL)
    people = [await factories.volunteer(n) for n in ("阿明", "阿红", "阿强")]
    a, b, c = people
    haircut_shift = (await haircut.shifts.all())[0]
    clinic_shift = (await clinic.shifts.all())[0]
    off_shift = (await called_off.shifts.all())[0]
    sa = await signups.sign_up(Actor(volunteer=a), haircut_shift.id, "1")
    sb = await signups.sign_up(Actor(volunteer=b), haircut_shift.id, "2")
    await signups.sign_up(Actor(volunteer=c), haircut_shift.id, "3")
    sa2 = await signups.sign_up(Actor(volunteer=a), clinic_shift.id, "4")
    await signups.sign_up(Actor(volunteer=b), off_shift.id, "5")
    await events.cancel_event(boss, called_off.id, "台风")
    later = factories.soon(20)
    clock.set_clock(lambda: later)  # attendance is recorded once the shifts have started
    await mark_attendance(boss, sa.id, SignupStatus.ATTENDED, None)  # 2 hours by default
    await mark_attendance(boss, sb.id, SignupStatus.NO_SHOW, None)
    await mark_attendance(boss, sa2.id, SignupStatus.ATTENDED, 1.5)
    return leader, team, district, elsewhere, (haircut, clinic), people


async def test_team_figures(database) -> None:
    leader, team, district, elsewhere, held, (a, b, c) = await _season()
    figures = await stats.team_stats(Actor(volunteer=leader), team.id)
    assert figures.events_held == 2
    assert {k.kind: k.count for k in figures.events_by_kind} == {
        EventKind.HAIRCUT: 1,
        EventKind.CLINIC: 1,
    }
    months = Counter(e.starts_at.astimezone(SHANGHAI).strftime("%Y-%m") for e in held)
    assert {m.month: m.count for m in figures.events_by_month} == dict(months)
    assert figures.volunteers_mobilized == 1
    assert figures.hours_served == 3.5
    assert figures.seats_taken == 4
    assert figures.attendance_rate == 0.5
    assert figures.no_show_rate == 0.25
    assert [(v.display_name, v.hours, v.shifts) for v in figures.busiest_volunteers] == [
        ("阿明", 3.5, 2)
    ]


async def test_period_and_community_subtree(database) -> None:
    leader, team, district, elsewhere, (haircut, clinic), people = await _season()
    admin = Actor(volunteer=await factories.volunteer("管理员", admin=True))
    only_clinic = await stats.team_stats(
        admin, team.id, since=clinic.starts_at - timedelta(minutes=1)
    )
    assert only_clinic.events_held == 1 and only_clinic.hours_served == 1.5
    mine = await stats.community_stats(admin, district.id)
    assert mine.events_held == 2 and mine.hours_served == 3.5
    theirs = await stats.community_stats(admin, elsewhere.id)
    assert theirs.events_held == 1 and theirs.seats_taken == 0
    assert theirs.attendance_rate is None
    with pytest.raises(DomainError):
        await stats.community_stats(Actor(volunteer=leader), district.id)


async def test_stats_visibility_over_graphql(client) -> None:
    gql = GraphQLClient(client)
    leader, team, district, elsewhere, held, (a, b, c) = await _season()
    query = """query($t: ID!, $c: ID!) {
      team: node(id: $t) { ... on Team { stats { eventsHeld hoursServed attendanceRate
        eventsByKind { kind count } busiestVolunteers { displayName hours } } } }
      place: node(id: $c) { ... on Community { stats { eventsHeld } } } }"""
    ids = {"t": encode_id("Team", team.id), "c": encode_id("Community", district.id)}
    for caller in (None, a):
        factories.log_in_as(client, caller)
        data = await gql.ok(query, ids)
        assert data["team"]["stats"] is None and data["place"]["stats"] is None
    factories.log_in_as(client, leader)
    data = await gql.ok(query, ids)
    assert data["team"]["stats"]["eventsHeld"] == 2
    assert data["team"]["stats"]["busiestVolunteers"] == [{"displayName": "阿明", "hours": 3.5}]
    assert data["place"]["stats"] is None  # communities: admins only
    factories.log_in_as(client, await factories.volunteer("管理员", admin=True))
    data = await gql.ok(query, ids)
    assert data["place"]["stats"] == {"eventsHeld": 2}


async def test_dashboard_pages_and_csv(client) -> None:
    leader, team, district, elsewhere, held, people = await _season()
    factories.log_in_as(client, None)
    response = await client.get(f"/teams/{team.id}/dashboard")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client.get(f"/teams/{team.id}/dashboard.csv")).status_code == 403
    factories.log_in_as(client, people[0])
    assert (await client.get(f"/teams/{team.id}/dashboard")).status_code == 403
    factories.log_in_as(client, leader)
    page = await client.get(f"/teams/{encode_id('Team', team.id)}/dashboard")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 4 and 'role="img"' in page.text
    assert "阿明" in page.text
    assert 'aria-label="按月份统计活动"' in page.text and "未记录" in page.text  # zh-CN first
    await client.get("/lang/en")
    english = (await client.get(f"/teams/{team.id}/dashboard")).text
    assert 'aria-label="Events by month"' in english and "Not recorded" in english
    await client.get("/lang/zh-CN")
    export = await client.get(f"/teams/{team.id}/dashboard.csv")
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert ["summary", "events_held", "2"] in rows
    assert ["summary", "hours_served", "3.5"] in rows
    assert ["busiest_volunteers", "阿明", "3.5"] in rows
    assert (await client.get(f"/communities/{district.id}/dashboard")).status_code == 403
    factories.log_in_as(client, await factories.volunteer("管理员", admin=True))
    page = await client.get(f"/communities/{district.id}/dashboard")
    assert page.status_code == 200 and "<svg" in page.text
    assert (await client.get(f"/communities/{district.id}/dashboard.csv")).status_code == 200
