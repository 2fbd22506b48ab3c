"""The roster export: only the event's team leaders and admins; UTF-8 with BOM; phones."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from api.domain import checkin, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.infra import clock
from api.models import SignupStatus
from tests import factories


async def _event_with_people():
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(1,))
    shift = (await event.shifts.all())[0]
    came, waiting = await factories.volunteer("=张三"), await factories.volunteer("李四")
    first = await signups.sign_up(Actor(volunteer=came), shift.id, "a")
    await signups.sign_up(Actor(volunteer=waiting), shift.id, "b")
    clock.set_clock(lambda: shift.starts_at + timedelta(minutes=30))  # attendance once started
    await checkin.mark_attendance(Actor(volunteer=leader), first.id, SignupStatus.ATTENDED, 1.5)
    return leader, team, event, came, waiting


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "other_leader", "member_signed_up"])
async def test_roster_refused(client, who: str) -> None:
    leader, team, event, came, waiting = await _event_with_people()
    if who == "anonymous":
        caller = None
    elif who == "volunteer":
        caller = await factories.volunteer("路人")
    elif who == "other_leader":
        caller = await factories.volunteer("别队队长")
        await factories.team("别的队", leaders=(caller,))
    else:
        caller = came
    factories.log_in_as(client, caller)
    response = await client.get(f"/events/{event.id}/roster.csv")
    assert response.status_code == 403
    assert came.phone not in response.text


@pytest.mark.parametrize("who", ["leader", "admin"])
async def test_roster_for_leader_and_admin(client, who: str) -> None:
    leader, team, event, came, waiting = await _event_with_people()
    caller = leader if who == "leader" else await factories.volunteer("管理员", admin=True)
    factories.log_in_as(client, caller)
    response = await client.get(f"/events/{encode_id('Event', event.id)}/roster.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机号", "岗位", "状态", "签到时间", "时长"]
    body = rows[1:]
    assert [r[0] for r in body] == ["'=张三", "李四"]  # never a formula in Excel
    assert body[0][1] == came.phone and body[1][1] == waiting.phone
    assert body[0][3] == "ATTENDED" and body[0][5] == "1.5"
    assert body[1][3] == "WAITLISTED" and body[1][4] == "" and body[1][5] == ""


async def test_roster_of_missing_event(client) -> None:
    admin = await factories.volunteer("管理员", admin=True)
    factories.log_in_as(client, admin)
    assert (await client.get("/events/424242/roster.csv")).status_code == 404
    assert (await client.get("/events/nonsense/roster.csv")).status_code == 404
