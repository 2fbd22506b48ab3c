"""The organizer's forms without scripts: a new event or weekly series
(`/teams/{id}/events/new`), and the organize page's "duplicate" and "publish" forms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from api.http.ids import encode_id
from api.models import Event, EventStatus, Shift
from api.settings import SHANGHAI
from tests import factories
from tests.factories import log_in_as

SAME_SITE = {"Origin": "http://testserver"}


def _day(days: int) -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=days)


def _form(**changes: Any) -> list[tuple[str, str]]:
    """A filled-in form: two shifts (the second with times of its own), four weeks, published."""
    fields: dict[str, Any] = {
        "title": "周六义剪",
        "kind": "HAIRCUT",
        "date": _day(10).isoformat(),
        "start": "19:30",
        "end": "21:30",
        "placeName": "尊湖小区党群服务站",
        "placeAddress": "泉州台商投资区东园镇",
        "communityId": "",
        "description": "带上围布和推子。",
        "weeks": "4",
        "publish": "on",
        "shifts": [("理发师", "3", "", ""), ("引导员", "2", "20:00", "21:00")],
    }
    fields.update(changes)
    pairs = [(k, str(v)) for k, v in fields.items() if k != "shifts" and v is not None]
    for role, capacity, start, end in fields["shifts"]:
        pairs += [
            ("shift_role", role),
            ("shift_capacity", capacity),
            ("shift_start", start),
            ("shift_end", end),
        ]
    return pairs


async def _post(client: httpx.AsyncClient, path: str, pairs: list[tuple[str, str]]) -> Any:
    return await client.post(
        path,
        content=str(httpx.QueryParams(pairs)),
        headers={**SAME_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )


async def _leader_and_team() -> tuple[Any, Any]:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    return leader, team


def _new(team: Any) -> str:
    return f"/teams/{encode_id('Team', team.id)}/events/new"


async def test_a_leader_creates_a_four_week_series(client: httpx.AsyncClient) -> None:
    leader, team = await _leader_and_team()
    place = await factories.community("东园镇")
    log_in_as(client, leader)
    page = await client.get(_new(team))
    assert page.status_code == 200
    assert "新建活动" in page.text and "义剪" in page.text  # the kinds in Chinese
    assert 'name="weeks"' in page.text and "添加岗位" in page.text

    response = await _post(client, _new(team), _form(communityId=encode_id("Community", place.id)))
    assert response.status_code == 303, response.text
    events = await Event.filter(team_id=team.id).order_by("starts_at")
    assert response.headers["location"] == f"/events/{encode_id('Event', events[0].id)}/organize"
    assert len(events) == 4
    assert len({e.series_id for e in events}) == 1 and events[0].series_id is not None
    first = _day(10)
    for week, event in enumerate(events):
        local = event.starts_at.astimezone(SHANGHAI)
        assert local.date() == first + timedelta(weeks=week)
        assert local.time() == time(19, 30)
        assert event.ends_at.astimezone(SHANGHAI).time() == time(21, 30)
        assert event.status == EventStatus.PUBLISHED
        assert event.title == "周六义剪" and event.location_name == "尊湖小区党群服务站"
        assert event.community_id == place.id
        shifts = await Shift.filter(event_id=event.id).order_by("starts_at")
        assert [(s.role, s.capacity) for s in shifts] == [("理发师", 3), ("引导员", 2)]
        assert shifts[0].starts_at == event.starts_at and shifts[0].ends_at == event.ends_at
        assert shifts[1].starts_at.astimezone(SHANGHAI).time() == time(20, 0)
        assert shifts[1].ends_at.astimezone(SHANGHAI).time() == time(21, 0)

    organize = await client.get(response.headers["location"])
    assert organize.status_code == 200 and "周六义剪" in organize.text


async def test_one_week_makes_one_event_and_a_draft_stays_a_draft(
    client: httpx.AsyncClient,
) -> None:
    leader, team = await _leader_and_team()
    log_in_as(client, leader)
    pairs = [p for p in _form(weeks="1") if p[0] != "publish"]
    assert (await _post(client, _new(team), pairs)).status_code == 303
    event = await Event.get(team_id=team.id)
    assert event.series_id is None and event.status == EventStatus.DRAFT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": "10:00", "end": "09:00"}, "结束时间必须晚于开始时间。"),
        ({"shifts": [("理发师", "0", "", "")]}, "名额必须在 1 到 10000 之间。"),
        ({"weeks": "101"}, "一个系列最多 100 场活动。"),
        ({"title": "  "}, "请填写标题。"),
        ({"date": ""}, "请选择日期。"),
        ({"shifts": [("理发师", "三", "", "")]}, "请输入整数。"),
    ],
)
async def test_invalid_input_is_shown_and_nothing_is_created(
    client: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    leader, team = await _leader_and_team()
    log_in_as(client, leader)
    response = await _post(client, _new(team), _form(**changes))
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert "周六义剪" in response.text or changes.get("title")  # what was typed is kept
    assert await Event.filter(team_id=team.id).count() == 0


async def test_add_a_shift_without_scripts_keeps_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    leader, team = await _leader_and_team()
    log_in_as(client, leader)
    response = await _post(client, _new(team), [*_form(), ("add_shift", "1")])
    assert response.status_code == 200
    assert response.text.count('name="shift_role"') == 3
    assert 'value="引导员"' in response.text and 'value="周六义剪"' in response.text
    assert await Event.filter(team_id=team.id).count() == 0


@pytest.mark.parametrize("who", ["member", "other_leader", "volunteer"])
async def test_others_get_403_and_nothing_is_created(client: httpx.AsyncClient, who: str) -> None:
    caller = await factories.volunteer("别人")
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,), members=(caller,) if who == "member" else ())
    if who == "other_leader":
        await factories.team("别的队", leaders=(caller,))
    log_in_as(client, caller)
    page = await client.get(_new(team))
    assert page.status_code == 403 and 'name="title"' not in page.text
    response = await _post(client, _new(team), _form())
    assert response.status_code == 403
    assert await Event.all().count() == 0


async def test_an_admin_may_create_for_any_team(client: httpx.AsyncClient) -> None:
    _, team = await _leader_and_team()
    log_in_as(client, await factories.volunteer("管理员", admin=True))
    assert (await _post(client, _new(team), _form(weeks="2"))).status_code == 303
    assert await Event.filter(team_id=team.id).count() == 2


async def test_anonymous_is_sent_to_log_in_and_cross_site_posts_are_refused(
    client: httpx.AsyncClient,
) -> None:
    leader, team = await _leader_and_team()
    for response in (await client.get(_new(team)), await _post(client, _new(team), _form())):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fteams%2F")
    log_in_as(client, leader)
    cross_site = await client.post(
        _new(team),
        content=str(httpx.QueryParams(_form())),
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert cross_site.status_code == 403
    assert await Event.all().count() == 0
    assert (await client.get("/teams/garbage/events/new")).status_code == 404


async def test_team_page_links_new_event_for_its_leaders_only(client: httpx.AsyncClient) -> None:
    leader, team = await _leader_and_team()
    link = f'href="{_new(team)}"'
    path = f"/teams/{encode_id('Team', team.id)}"
    log_in_as(client, leader)
    assert link in (await client.get(path)).text
    log_in_as(client, await factories.volunteer("路人"))
    assert link not in (await client.get(path)).text


async def test_duplicate_moves_the_copy_and_its_shifts(client: httpx.AsyncClient) -> None:
    leader, team = await _leader_and_team()
    source = await factories.event(team, title="消防演练", capacities=(4, 2))
    later = (await Shift.filter(event_id=source.id).order_by("id"))[1]
    later.starts_at += timedelta(minutes=30)
    await later.save()
    log_in_as(client, leader)
    organize = f"/events/{encode_id('Event', source.id)}/organize"
    page = await client.get(organize)
    assert "复制活动" in page.text and f'href="{_new(team)}"' in page.text

    new_day = _day(20)
    response = await _post(
        client,
        organize,
        [("action", "duplicate"), ("date", new_day.isoformat()), ("start", "14:00")],
    )
    assert response.status_code == 303, response.text
    copy = await Event.exclude(id=source.id).get(team_id=team.id)
    assert response.headers["location"] == f"/events/{encode_id('Event', copy.id)}/organize"
    assert copy.title == "消防演练" and copy.status == EventStatus.DRAFT
    start = datetime.combine(new_day, time(14, 0), SHANGHAI)
    assert copy.starts_at == start
    assert copy.ends_at - copy.starts_at == source.ends_at - source.starts_at
    shifts = await Shift.filter(event_id=copy.id).order_by("id")
    assert [(s.role, s.capacity) for s in shifts] == [("岗位1", 4), ("岗位2", 2)]
    assert shifts[0].starts_at == start
    assert shifts[1].starts_at == start + timedelta(minutes=30)

    # The copy is a draft: its organize page offers "publish", which opens it.
    copy_page = await client.get(response.headers["location"])
    assert 'name="action" value="publish"' in copy_page.text
    published = await _post(client, response.headers["location"], [("action", "publish")])
    assert published.status_code == 303
    await copy.refresh_from_db()
    assert copy.status == EventStatus.PUBLISHED


async def test_duplicate_errors_and_rights(client: httpx.AsyncClient) -> None:
    leader, team = await _leader_and_team()
    source = await factories.event(team)
    organize = f"/events/{encode_id('Event', source.id)}/organize"
    log_in_as(client, leader)
    bad = await _post(client, organize, [("action", "duplicate"), ("date", ""), ("start", "")])
    assert bad.status_code == 200 and "请选择日期。" in bad.text
    cross_site = await client.post(
        organize,
        content=f"action=duplicate&date={_day(20).isoformat()}&start=09:00",
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert cross_site.status_code == 403
    log_in_as(client, await factories.volunteer("路人"))
    refused = await _post(
        client,
        organize,
        [("action", "duplicate"), ("date", _day(20).isoformat()), ("start", "09:00")],
    )
    assert refused.status_code == 403
    assert await Event.all().count() == 1
