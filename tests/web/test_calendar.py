"""Calendar feeds, parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar

from api.domain import events, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.models import EventStatus
from tests import factories
from tests.conftest import GraphQLClient

CALENDAR_URL = "{ viewer { calendarUrl } }"


def vevents(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def _volunteer_with_shifts():
    leader = await factories.volunteer("组长")
    team = await factories.team("消防志愿队", leaders=(leader,))
    kept = await factories.event(team, title="消防演练")
    dropped = await factories.event(team, title="义诊", starts_at=factories.soon(days=5))
    gone = await factories.event(team, title="防诈骗讲座", starts_at=factories.soon(days=7))
    me = await factories.volunteer("小林")
    actor = Actor(volunteer=me)
    shift_ids = []
    for e in (kept, dropped, gone):
        shift = (await e.shifts.all())[0]
        shift_ids.append(shift.id)
        await signups.sign_up(actor, shift.id, f"k{shift.id}")
    mine = await signups.sign_up(actor, shift_ids[2], f"k{shift_ids[2]}")
    await signups.cancel_signup(actor, mine.id)  # my own cancellation: gone from the feed
    await events.cancel_event(Actor(volunteer=leader), dropped.id, "医生临时有事")
    return me, team, (kept, dropped, gone), shift_ids


async def test_private_feed_lists_my_shifts_with_stable_uids(client) -> None:
    gql = GraphQLClient(client)
    me, team, (kept, dropped, gone), shift_ids = await _volunteer_with_shifts()
    factories.log_in_as(client, me)
    url = (await gql.ok(CALENDAR_URL))["viewer"]["calendarUrl"]
    assert url.endswith(".ics") and "/calendar/" in url
    assert (await gql.ok(CALENDAR_URL))["viewer"]["calendarUrl"] == url  # stable
    path = url[url.index("/calendar/") :]
    factories.log_in_as(client, None)  # calendar clients carry no cookie
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    items = vevents(response.content)
    assert set(items) == {f"shift-{shift_ids[0]}@linli", f"shift-{shift_ids[1]}@linli"}
    first = items[f"shift-{shift_ids[0]}@linli"]
    assert str(first["STATUS"]) == "CONFIRMED"
    start = first.decoded("DTSTART")
    assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
    assert start == kept.starts_at.astimezone(UTC)
    assert "消防演练" in str(first["SUMMARY"])
    cancelled = items[f"shift-{shift_ids[1]}@linli"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "医生临时有事" in str(cancelled["DESCRIPTION"])
    # The phone reminds by itself (2 hours before, the nearest reminder), not for cancelled.
    alarms = [c for c in first.subcomponents if c.name == "VALARM"]
    assert [a.decoded("TRIGGER") for a in alarms] == [-timedelta(hours=2)]
    assert not [c for c in cancelled.subcomponents if c.name == "VALARM"]
    # Same UIDs on the next fetch.
    assert set(vevents((await client.get(path)).content)) == set(items)


async def test_reset_token_revokes_the_old_feed(client) -> None:
    gql = GraphQLClient(client)
    me = await factories.volunteer("小林")
    factories.log_in_as(client, me)
    old = (await gql.ok(CALENDAR_URL))["viewer"]["calendarUrl"]
    data = await gql.ok("mutation { resetCalendarToken { calendarUrl userErrors { code } } }")
    new = data["resetCalendarToken"]["calendarUrl"]
    assert new != old
    assert (await client.get(old[old.index("/calendar/") :])).status_code == 404
    assert (await client.get(new[new.index("/calendar/") :])).status_code == 200
    assert (await client.get("/calendar/not-a-token.ics")).status_code == 404


async def test_calendar_url_is_self_only(client) -> None:
    gql = GraphQLClient(client)
    me, other = await factories.volunteer("小林"), await factories.volunteer("小王")
    factories.log_in_as(client, other)
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Volunteer { calendarUrl } } }",
        {"id": encode_id("Volunteer", me.id)},
    )
    assert data["node"] is None or data["node"]["calendarUrl"] is None
    factories.log_in_as(client, None)
    data = await gql.ok("mutation { resetCalendarToken { calendarUrl userErrors { code } } }")
    assert data["resetCalendarToken"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]


async def test_team_feed_lists_published_and_cancelled_not_drafts(client) -> None:
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    open_event = await factories.event(team, title="理发")
    draft = await factories.event(team, title="草稿", status=EventStatus.DRAFT)
    called_off = await factories.event(team, title="巡逻")
    await events.cancel_event(Actor(volunteer=leader), called_off.id, "下雨")
    for path in (
        f"/teams/{team.id}/calendar.ics",
        f"/teams/{encode_id('Team', team.id)}/calendar.ics",
    ):
        response = await client.get(path)
        assert response.status_code == 200
        items = vevents(response.content)
        assert set(items) == {f"event-{open_event.id}@linli", f"event-{called_off.id}@linli"}
        assert str(items[f"event-{called_off.id}@linli"]["STATUS"]) == "CANCELLED"
        assert f"event-{draft.id}@linli" not in items
    cal = Calendar.from_ical((await client.get(f"/teams/{team.id}/calendar.ics")).content)
    assert str(cal["VERSION"]) == "2.0"
    assert (await client.get("/teams/999999/calendar.ics")).status_code == 404
