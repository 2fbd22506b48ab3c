"""The PWA's server side: pages in both languages, the manifest, the worker, static files."""

from __future__ import annotations

import re
from typing import Any

import httpx

from api.http.ids import encode_id
from api.models import Notification, NotificationKind
from tests import factories
from tests.factories import log_in_as


async def test_start_page_lists_upcoming_events_in_chinese(client: httpx.AsyncClient) -> None:
    team = await factories.team()
    await factories.event(team, title="尊湖小区义剪", capacities=(3,))
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-language"] == "zh-CN"
    assert '<html lang="zh-CN">' in response.text
    assert "尊湖小区义剪" in response.text and "剩余 3 个名额" in response.text
    assert response.headers["cache-control"] == "private, no-cache"


async def test_start_page_filters_and_says_when_nothing_matches(client: httpx.AsyncClient) -> None:
    team = await factories.team()
    await factories.event(team, title="尊湖小区义剪")
    response = await client.get("/", params={"q": "没有这个活动", "kind": "CLINIC"})
    assert response.status_code == 200
    assert "尊湖小区义剪" not in response.text
    assert "没有符合条件的活动" in response.text
    # bad filter values never break the page
    assert (
        await client.get("/", params={"community": "garbage", "date": "2026-13-45"})
    ).status_code == 200


async def test_english_is_chosen_and_remembered(client: httpx.AsyncClient) -> None:
    response = await client.get("/lang/en", params={"next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await client.get("/login")
    assert '<html lang="en">' in page.text and "Log in or register" in page.text
    evil = await client.get("/lang/zh-CN", params={"next": "//evil.example/"})
    assert evil.headers["location"] == "/"


async def test_event_page_shows_shifts_and_the_action_that_fits(client: httpx.AsyncClient) -> None:
    team = await factories.team()
    event = await factories.event(team, title="便民义诊", capacities=(1,))
    event_id = encode_id("Event", event.id)
    anonymous = await client.get(f"/events/{event_id}")
    assert anonymous.status_code == 200 and "登录后报名" in anonymous.text
    log_in_as(client, await factories.volunteer())
    page = await client.get(f"/events/{event_id}")
    assert 'data-action="SignUp"' in page.text and ">报名<" in page.text


async def test_unknown_ids_answer_404(client: httpx.AsyncClient) -> None:
    for path in ("/events/garbage", "/teams/garbage", f"/events/{encode_id('Team', 1)}"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "找不到页面" in response.text


async def test_my_shifts_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/me")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/me"
    log_in_as(client, await factories.volunteer())
    page = await client.get("/me")
    assert page.status_code == 200 and "累计服务时长" in page.text


async def test_login_form_works_without_scripts(client: httpx.AsyncClient) -> None:
    volunteer = await factories.volunteer()
    wrong = await client.post(
        "/login",
        data={"action": "login", "phone": volunteer.phone, "password": "nope", "next": "/me"},
    )
    assert wrong.status_code == 400 and "手机号或密码不正确" in wrong.text
    right = await client.post(
        "/login",
        data={
            "action": "login",
            "phone": volunteer.phone,
            "password": factories.PASSWORD,
            "next": "/me",
        },
    )
    assert right.status_code == 303 and right.headers["location"] == "/me"
    assert "linli_session" in right.headers["set-cookie"]


async def test_manifest_worker_and_fingerprinted_assets(client: httpx.AsyncClient) -> None:
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith(
        manifest["scope"]
    )
    worker = await client.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    version = re.search(r'const VERSION = "(\w+)"', worker.text)
    assert version
    page = (await client.get("/offline")).text
    css = re.search(r'href="(/static/css/app\.\w{10}\.css)"', page)
    assert css and css.group(1) in worker.text  # precached by the worker
    asset = await client.get(css.group(1))
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = await client.get("/static/css/app.0000000000.css")
    assert stale.status_code == 404
    assert (await client.get("/static/css/app.css")).headers["cache-control"] == "no-cache"


async def test_the_qr_link_opens_check_in_with_the_code_filled_in(
    client: httpx.AsyncClient,
) -> None:
    team = await factories.team()
    event = await factories.event(team)
    shift_id = encode_id("Shift", (await event.shifts.all())[0].id)
    response = await client.get("/checkin", params={"shift": shift_id, "code": "123456"})
    assert response.status_code == 303
    log_in_as(client, await factories.volunteer())
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'data-action="CheckIn"' in page.text and 'value="123456"' in page.text


async def test_the_qr_link_keeps_shift_and_code_through_the_log_in(
    client: httpx.AsyncClient,
) -> None:
    team = await factories.team()
    event = await factories.event(team)
    shift_id = encode_id("Shift", (await event.shifts.all())[0].id)
    volunteer = await factories.volunteer()
    log_in_as(client, None)  # scanned while logged out
    to_me = await client.get("/checkin", params={"shift": shift_id, "code": "123456"})
    to_login = await client.get(to_me.headers["location"])
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")
    form = await client.get(to_login.headers["location"])
    assert "123456" in form.text  # the form carries it on
    next_url = form.text.split('name="next" value="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    logged_in = await client.post(
        "/login",
        data={
            "action": "login",
            "phone": volunteer.phone,
            "password": factories.PASSWORD,
            "next": next_url,
        },
    )
    assert logged_in.status_code == 303
    page = await client.get(logged_in.headers["location"])
    assert 'data-action="CheckIn"' in page.text and 'value="123456"' in page.text


async def test_the_event_page_marks_a_shift_that_clashes_with_mine(
    client: httpx.AsyncClient,
) -> None:
    from datetime import timedelta

    from api.domain import signups
    from api.domain.actors import Actor

    team = await factories.team()
    start = factories.soon()
    held = await factories.event(team, title="消防演练", starts_at=start)
    other = await factories.event(team, title="义剪", starts_at=start + timedelta(hours=1))
    volunteer = await factories.volunteer()
    await signups.sign_up(Actor(volunteer=volunteer), (await held.shifts.all())[0].id, "k")
    log_in_as(client, volunteer)
    page = await client.get(f"/events/{encode_id('Event', other.id)}")
    assert "与您已报名的岗位时间冲突" in page.text
    mine = await client.get(f"/events/{encode_id('Event', held.id)}")
    assert "与您已报名的岗位时间冲突" not in mine.text
    log_in_as(client, None)
    assert (
        "与您已报名的岗位时间冲突"
        not in (await client.get(f"/events/{encode_id('Event', other.id)}")).text
    )


async def test_team_page_lists_its_events_and_offers_to_join(client: httpx.AsyncClient) -> None:
    team = await factories.team("东园消防志愿队")
    await factories.event(team, title="消防演练")
    team_id = encode_id("Team", team.id)
    anonymous = await client.get(f"/teams/{team_id}")
    assert anonymous.status_code == 200
    assert "东园消防志愿队" in anonymous.text and "消防演练" in anonymous.text
    assert "登录后加入" in anonymous.text
    log_in_as(client, await factories.volunteer())
    page = await client.get(f"/teams/{team_id}")
    assert 'data-action="JoinTeam"' in page.text


async def _notify(volunteer: Any, message: str, event: Any = None) -> None:
    await Notification.create(
        volunteer=volunteer,
        kind=NotificationKind.EVENT_CHANGED,
        message=message,
        event=event,
        source=f"test:{message}",
    )


async def test_every_page_shows_the_unread_badge_and_my_page_lists_notifications(
    client: httpx.AsyncClient,
) -> None:
    team = await factories.team()
    event = await factories.event(team, title="便民义诊")
    me, other = await factories.volunteer("王阿姨"), await factories.volunteer("李师傅")
    await _notify(me, "活动有变动：便民义诊", event)
    await _notify(me, "活动已取消：义剪")
    await _notify(other, "别人的通知")
    event_id, team_id = encode_id("Event", event.id), encode_id("Team", team.id)
    paths = [
        "/",
        f"/events/{event_id}",
        f"/teams/{team_id}",
        "/me",
        "/login",
        "/events/garbage",  # 404 page
        f"/events/{event_id}/organize",  # 403 page: not a leader
    ]
    anonymous = await client.get("/")
    assert "data-unread" not in anonymous.text
    log_in_as(client, me)
    for path in paths:
        page = await client.get(path)
        assert 'data-unread="2"' in page.text, path
    mine = (await client.get("/me")).text
    assert "通知" in mine and "2 条未读" in mine
    assert "活动有变动：便民义诊" in mine and f'href="/events/{event_id}"' in mine
    assert "别人的通知" not in mine
    assert 'action="/me/notifications/read"' in mine and "全部标为已读" in mine

    cross_site = await client.post(
        "/me/notifications/read", headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert await Notification.filter(volunteer=me, read_at=None).count() == 2
    marked = await client.post("/me/notifications/read")
    assert marked.status_code == 303 and marked.headers["location"] == "/me#notifications"
    assert await Notification.filter(volunteer=me, read_at=None).count() == 0
    assert await Notification.filter(volunteer=other, read_at=None).count() == 1
    for path in paths:
        assert "data-unread" not in (await client.get(path)).text, path
    mine = (await client.get("/me")).text
    assert "活动有变动：便民义诊" in mine and "全部标为已读" not in mine


async def test_add_to_calendar_links(client: httpx.AsyncClient) -> None:
    team = await factories.team()
    event = await factories.event(team)
    team_feed = f'href="/teams/{encode_id("Team", team.id)}/calendar.ics"'
    assert team_feed in (await client.get(f"/events/{encode_id('Event', event.id)}")).text
    assert team_feed in (await client.get(f"/teams/{encode_id('Team', team.id)}")).text
    log_in_as(client, await factories.volunteer())
    mine = (await client.get("/me")).text
    feed = re.search(r'href="([^"]*/calendar/[^"]+\.ics)" data-calendar', mine)
    assert feed and "把我的班次加入日历" in mine
    path = feed.group(1)[feed.group(1).index("/calendar/") :]
    log_in_as(client, None)  # calendar clients carry no cookie
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
