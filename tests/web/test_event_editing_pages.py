"""A leader's tools on a phone, without scripts: the event editing page (`/events/{id}/edit`:
text, time, place, shifts, cancelling) and the organize page's publish and on-site forms
(walk-in, everyone present, message, close). Good posts redirect; bad input re-renders in
zh-CN; others get the log-in redirect or 403."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from api.domain import planning, recurrence, signups
from api.domain.actors import Actor
from api.domain.events import EventDraft, ShiftDraft
from api.domain.planning import PublishScope
from api.http.ids import encode_id
from api.infra import clock
from api.models import (
    DomainEvent,
    Event,
    EventKind,
    EventStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)
from api.settings import SHANGHAI
from tests import factories
from tests.factories import log_in_as

SAME_SITE = {"Origin": "http://testserver"}


async def _post(client: httpx.AsyncClient, path: str, pairs: list[tuple[str, str]]) -> Any:
    return await client.post(
        path,
        content=str(httpx.QueryParams(pairs)),
        headers={**SAME_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )


def _edit(event: Event) -> str:
    return f"/events/{encode_id('Event', event.id)}/edit"


def _organize(event: Event) -> str:
    return f"/events/{encode_id('Event', event.id)}/organize"


def _local(moment: datetime) -> tuple[str, str]:
    local = moment.astimezone(SHANGHAI)
    return local.date().isoformat(), local.strftime("%H:%M")


async def _leader_event(**kwargs: Any) -> tuple[Volunteer, Any, Event]:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    return leader, team, await factories.event(team, **kwargs)


async def _draft_series(leader: Volunteer, team: Any) -> list[Event]:
    day = (datetime.now(SHANGHAI) + timedelta(days=5)).date()
    starts = datetime.combine(day, time(9, 0), SHANGHAI)
    draft = EventDraft(
        team_id=team.id,
        title="楼栋议事",
        kind=EventKind.MEETING,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        shifts=[ShiftDraft("主持人", starts, starts + timedelta(hours=2), 1)],
    )
    first = await recurrence.create_series(Actor(volunteer=leader), draft, "FREQ=WEEKLY;COUNT=3")
    return await Event.filter(series_id=first.series_id).order_by("starts_at")


async def test_a_leader_edits_time_and_place_and_those_signed_up_are_told(
    client: httpx.AsyncClient,
) -> None:
    leader, _team, event = await _leader_event()
    shift = await Shift.get(event_id=event.id)
    person = await factories.volunteer("甲")
    await signups.sign_up(Actor(volunteer=person), shift.id, "k")
    log_in_as(client, leader)
    page = await client.get(_edit(event))
    assert page.status_code == 200
    assert "编辑活动" in page.text and "添加岗位" in page.text and "取消活动" in page.text
    day, start = _local(event.starts_at)
    response = await _post(
        client,
        _edit(event),
        [
            ("action", "event"),
            ("title", "义剪（改）"),
            ("description", "改到下午"),
            ("date", day),
            ("start", "15:00"),
            ("end", "17:30"),
            ("placeName", "新会议室"),
            ("placeAddress", ""),
        ],
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("/edit?done=saved")
    assert "已保存" in (await client.get(response.headers["location"])).text
    await event.refresh_from_db()
    new_start = datetime.combine(datetime.fromisoformat(day).date(), time(15), SHANGHAI)
    assert (event.title, event.location_name) == ("义剪（改）", "新会议室")
    assert event.starts_at == new_start and event.ends_at == new_start + timedelta(hours=2.5)
    moved = await Shift.get(id=shift.id)
    # The shift ran with the event: it still does, to the new end.
    assert (moved.starts_at, moved.ends_at) == (new_start, event.ends_at)
    changed = await DomainEvent.get(kind="EVENT_CHANGED")
    assert changed.payload["volunteer_ids"] == [person.id]


async def test_bad_input_re_renders_in_chinese_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    leader, _team, event = await _leader_event()
    shift = await Shift.get(event_id=event.id)
    log_in_as(client, leader)
    day, _ = _local(event.starts_at)
    cases = [
        (
            [
                ("action", "event"),
                ("title", ""),
                ("date", day),
                ("start", "09:00"),
                ("end", "10:00"),
            ],
            "请填写标题",
        ),
        (
            [
                ("action", "event"),
                ("title", "x"),
                ("date", day),
                ("start", "11:00"),
                ("end", "10:00"),
            ],
            "结束时间必须晚于开始时间",
        ),
        (
            [("action", "event"), ("title", "x"), ("date", "garbage"), ("start", "9"), ("end", "")],
            "请选择日期",
        ),
        (
            [
                ("action", "add_shift"),
                ("role", "引导员"),
                ("capacity", "many"),
                ("date", day),
                ("start", "09:00"),
                ("end", "10:00"),
            ],
            "请输入整数",
        ),
        ([("action", "cancel"), ("reason", "  ")], "请填写原因"),
        (
            [
                ("action", "shift"),
                ("shiftId", encode_id("Shift", shift.id)),
                ("role", "岗位1"),
                ("capacity", "0"),
                ("date", day),
                ("start", "09:00"),
                ("end", "10:00"),
            ],
            "名额",
        ),
        (
            [("action", "remove_shift"), ("shiftId", encode_id("Shift", shift.id))],
            "至少要保留一个岗位",
        ),
        ([("action", "nonsense")], "请检查"),
    ]
    before = (event.title, event.starts_at, event.status)
    for pairs, message in cases:
        response = await _post(client, _edit(event), pairs)
        assert response.status_code == 400, (pairs, response.status_code)
        assert message in response.text, (pairs, message)
        assert 'aria-invalid="true"' in response.text or "notice bad" in response.text
    await event.refresh_from_db()
    assert (event.title, event.starts_at, event.status) == before
    assert await Shift.filter(event_id=event.id).count() == 1


async def test_shifts_are_added_edited_and_removed_with_notices(client: httpx.AsyncClient) -> None:
    leader, _team, event = await _leader_event(capacities=(2,))
    log_in_as(client, leader)
    day, start = _local(event.starts_at)
    _, end = _local(event.ends_at)
    added = await _post(
        client,
        _edit(event),
        [
            ("action", "add_shift"),
            ("role", "引导员"),
            ("capacity", "3"),
            ("date", day),
            ("start", start),
            ("end", end),
        ],
    )
    assert added.status_code == 303 and added.headers["location"].endswith("done=shift_added")
    new = await Shift.get(event_id=event.id, role="引导员")
    assert new.capacity == 3
    person = await factories.volunteer("甲")
    await signups.sign_up(Actor(volunteer=person), new.id, "k")
    # Capacity below the confirmed count is refused, in Chinese.
    first = await Shift.get(event_id=event.id, role="岗位1")
    await signups.sign_up(Actor(volunteer=await factories.volunteer("乙")), first.id, "k1")
    await signups.sign_up(Actor(volunteer=await factories.volunteer("丙")), first.id, "k2")
    edit = [
        ("action", "shift"),
        ("shiftId", encode_id("Shift", first.id)),
        ("role", "理发师"),
        ("date", day),
        ("start", start),
        ("end", end),
    ]
    low = await _post(client, _edit(event), [*edit, ("capacity", "1")])
    assert low.status_code == 400 and "请先取消部分报名" in low.text
    ok = await _post(client, _edit(event), [*edit, ("capacity", "4")])
    assert ok.status_code == 303
    await first.refresh_from_db()
    assert (first.role, first.capacity) == ("理发师", 4)
    removed = await _post(
        client, _edit(event), [("action", "remove_shift"), ("shiftId", encode_id("Shift", new.id))]
    )
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=shift_removed")
    assert not await Shift.exists(id=new.id)
    told = await DomainEvent.get(kind="SHIFT_REMOVED")
    assert told.payload["volunteer_ids"] == [person.id]


async def test_cancel_this_or_all_following(client: httpx.AsyncClient) -> None:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    series = await _draft_series(leader, team)
    await planning.publish_series(Actor(volunteer=leader), series[0].id, PublishScope.ALL)
    log_in_as(client, leader)
    page = await client.get(_edit(series[1]))
    assert "本场及以后各场" in page.text
    response = await _post(
        client,
        _edit(series[1]),
        [("action", "cancel"), ("reason", "场地维修"), ("scope", "FOLLOWING")],
    )
    assert response.status_code == 303 and response.headers["location"] == _organize(series[1])
    statuses = [(await Event.get(id=e.id)).status for e in series]
    assert statuses == [EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.CANCELLED]
    one = await _post(client, _edit(series[0]), [("action", "cancel"), ("reason", "下雨")])
    assert one.status_code == 303
    first = await Event.get(id=series[0].id)
    assert (first.status, first.cancel_reason) == (EventStatus.CANCELLED, "下雨")
    # A cancelled event's page offers no forms.
    assert 'name="action"' not in (await client.get(_edit(series[0]))).text


async def test_publish_the_whole_draft_series_from_the_organize_page(
    client: httpx.AsyncClient,
) -> None:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    series = await _draft_series(leader, team)
    log_in_as(client, leader)
    page = await client.get(_organize(series[0]))
    assert "发布整个系列" in page.text
    response = await _post(client, _organize(series[0]), [("action", "publish"), ("scope", "ALL")])
    assert response.status_code == 303
    assert "已发布 3 场活动" in (await client.get(response.headers["location"])).text
    assert [(await Event.get(id=e.id)).status for e in series] == [EventStatus.PUBLISHED] * 3


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "member"])
async def test_others_may_not_edit_or_run_on_site_forms(
    client: httpx.AsyncClient, who: str
) -> None:
    leader, team, event = await _leader_event()
    shift = await Shift.get(event_id=event.id)
    if who == "anonymous":
        caller = None
    elif who == "member":
        caller = await factories.volunteer("队员")
        from api.models import TeamMembership, TeamRole

        await TeamMembership.create(team=team, volunteer=caller, role=TeamRole.MEMBER)
    else:
        caller = await factories.volunteer("路人")
    log_in_as(client, caller)
    day, _ = _local(event.starts_at)
    posts = [
        (
            _edit(event),
            [
                ("action", "event"),
                ("title", "被改"),
                ("date", day),
                ("start", "09:00"),
                ("end", "10:00"),
            ],
        ),
        (_edit(event), [("action", "remove_shift"), ("shiftId", encode_id("Shift", shift.id))]),
        (_edit(event), [("action", "cancel"), ("reason", "x")]),
        (
            _organize(event),
            [
                ("action", "walk_in"),
                ("shiftId", encode_id("Shift", shift.id)),
                ("phone", "13912345678"),
                ("name", "王"),
            ],
        ),
        (_organize(event), [("action", "message"), ("text", "你好")]),
        (_organize(event), [("action", "all_present")]),
        (_organize(event), [("action", "complete")]),
    ]
    page = await client.get(_edit(event))
    for path, pairs in posts:
        response = await _post(client, path, pairs)
        if caller is None:
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
        else:
            assert response.status_code == 403, (path, pairs)
    if caller is None:
        assert page.status_code == 303
    else:
        assert page.status_code == 403
    await event.refresh_from_db()
    assert (event.title, event.status) == ("义剪服务", EventStatus.PUBLISHED)
    assert await Shift.exists(id=shift.id)
    assert not await Volunteer.exists(phone="13912345678")
    assert not await DomainEvent.exists(kind="EVENT_MESSAGE")


async def test_on_site_walk_in_everyone_present_close_and_message(
    client: httpx.AsyncClient,
) -> None:
    leader, _team, event = await _leader_event(capacities=(3,))
    shift = await Shift.get(event_id=event.id)
    signed = await factories.volunteer("甲")
    await signups.sign_up(Actor(volunteer=signed), shift.id, "k")
    log_in_as(client, leader)
    organize = _organize(event)
    page = await client.get(organize)
    assert "现场登记邻居" in page.text and "群发通知" in page.text and "结束活动" in page.text

    bad = await _post(
        client,
        organize,
        [
            ("action", "walk_in"),
            ("shiftId", encode_id("Shift", shift.id)),
            ("phone", "12345"),
            ("name", "王阿姨"),
        ],
    )
    assert bad.status_code == 200 and "请输入11位手机号码" in bad.text
    assert 'value="王阿姨"' in bad.text  # what was typed stays
    walk = await _post(
        client,
        organize,
        [
            ("action", "walk_in"),
            ("shiftId", encode_id("Shift", shift.id)),
            ("phone", "13912345678"),
            ("name", "王阿姨"),
        ],
    )
    assert walk.status_code == 303 and "done=walk_in" in walk.headers["location"]
    assert "已登记并确认报名" in (await client.get(walk.headers["location"])).text
    neighbour = await Volunteer.get(phone="13912345678")
    assert neighbour.added_by_id == leader.id

    # Closing before the start is refused, in Chinese.
    early = await _post(client, organize, [("action", "complete")])
    assert early.status_code == 200 and "活动还没有开始" in early.text
    clock.set_clock(lambda: event.starts_at + timedelta(minutes=30))
    present = await _post(client, organize, [("action", "all_present")])
    assert present.status_code == 303 and "n=2" in present.headers["location"]
    assert "已标记到场：2 人" in (await client.get(present.headers["location"])).text
    statuses = await Signup.filter(shift_id=shift.id).values_list("status", flat=True)
    assert set(statuses) == {SignupStatus.ATTENDED}

    # Hours per person: the existing form.
    one = await Signup.get(shift_id=shift.id, volunteer_id=signed.id)
    hours = await _post(
        client,
        organize,
        [("signupId", encode_id("Signup", one.id)), ("status", "ATTENDED"), ("hours", "1.5")],
    )
    assert hours.status_code == 303

    closed = await _post(client, organize, [("action", "complete")])
    assert closed.status_code == 303 and "done=complete" in closed.headers["location"]
    await event.refresh_from_db()
    assert event.status == EventStatus.COMPLETED

    empty = await _post(client, organize, [("action", "message"), ("text", " ")])
    assert empty.status_code == 200 and "请填写通知内容" in empty.text
    sent = await _post(
        client, organize, [("action", "message"), ("text", "谢谢大家！"), ("waitlisted", "on")]
    )
    assert sent.status_code == 303 and "n=2" in sent.headers["location"]
    assert "通知已发送给 2 人" in (await client.get(sent.headers["location"])).text
    row = await DomainEvent.get(kind="EVENT_MESSAGE")
    assert row.payload["volunteer_ids"] == sorted([signed.id, neighbour.id])


async def test_a_series_with_only_its_first_date_published_offers_the_rest(
    client: httpx.AsyncClient,
) -> None:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    series = await _draft_series(leader, team)
    log_in_as(client, leader)
    only = await _post(client, _organize(series[0]), [("action", "publish"), ("scope", "THIS")])
    assert only.status_code == 303
    assert [(await Event.get(id=e.id)).status for e in series] == [
        EventStatus.PUBLISHED,
        EventStatus.DRAFT,
        EventStatus.DRAFT,
    ]
    page = await client.get(_organize(series[0]))
    assert "本系列还有 2 场仍是草稿" in page.text
    rest = await _post(client, _organize(series[0]), [("action", "publish"), ("scope", "ALL")])
    assert rest.status_code == 303
    assert [(await Event.get(id=e.id)).status for e in series] == [EventStatus.PUBLISHED] * 3
    assert "仍是草稿" not in (await client.get(_organize(series[0]))).text
