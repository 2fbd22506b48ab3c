"""Recurring series: expanded in Asia/Shanghai wall-clock time, bounded, one series row."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from api.domain import recurrence
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, ValidationErrors
from api.models import Event, EventSeries, EventStatus, Shift
from api.settings import SHANGHAI
from tests import factories
from tests.conftest import GraphQLClient

SATURDAY_9 = factories.SATURDAY_9
draft = factories.event_draft


async def leader_and_team() -> tuple[Actor, int]:
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    return Actor(volunteer=leader), team.id


async def test_weekly_series_keeps_nine_oclock_wall_clock(database: str) -> None:
    actor, team_id = await leader_and_team()
    first = await recurrence.create_series(actor, draft(team_id), "FREQ=WEEKLY;BYDAY=SA;COUNT=4")
    events = await Event.filter(series_id=first.series_id).order_by("starts_at")
    assert len(events) == 4
    assert first.id == events[0].id
    assert await EventSeries.all().count() == 1
    for i, event in enumerate(events):
        local = event.starts_at.astimezone(SHANGHAI)
        assert (local.hour, local.minute, local.weekday()) == (9, 0, 5)
        assert local.date() == (SATURDAY_9 + timedelta(weeks=i)).date()
        assert event.status == EventStatus.PUBLISHED
        shifts = await Shift.filter(event_id=event.id).order_by("starts_at")
        assert [s.starts_at.astimezone(SHANGHAI).hour for s in shifts] == [9, 11]
        assert [s.capacity for s in shifts] == [10, 3]


async def test_monthly_until_in_utc(database: str) -> None:
    actor, team_id = await leader_and_team()
    first = await recurrence.create_series(
        actor, draft(team_id), "FREQ=MONTHLY;UNTIL=20310601T010000Z"
    )
    events = await Event.filter(series_id=first.series_id).order_by("starts_at")
    # 1 March … 1 June 09:00 Shanghai == 01:00 UTC: UNTIL is inclusive.
    assert [e.starts_at.astimezone(SHANGHAI).month for e in events] == [3, 4, 5, 6]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY",  # unbounded
        "FREQ=DAILY;COUNT=101",
        "FREQ=DAILY;UNTIL=20330101",
        "FREQ=SOMETIMES;COUNT=2",
        "DTSTART=20300101;FREQ=DAILY;COUNT=2",
        "",
        # No date satisfies these: the expansion stops at its iteration bound, not in 9999.
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
        "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31;UNTIL=20330101",
        "FREQ=DAILY;BYSETPOS=2;COUNT=1",
    ],
)
async def test_refuses_unbounded_or_too_long_rules(database: str, rule: str) -> None:
    actor, team_id = await leader_and_team()
    with pytest.raises(DomainError) as caught:
        await recurrence.create_series(actor, draft(team_id), rule)
    assert caught.value.code == ErrorCode.INVALID_INPUT
    assert await Event.all().count() == 0
    assert await EventSeries.all().count() == 0


async def test_exactly_one_hundred_is_allowed(database: str) -> None:
    actor, team_id = await leader_and_team()
    first = await recurrence.create_series(actor, draft(team_id), "FREQ=DAILY;COUNT=100")
    assert await Event.filter(series_id=first.series_id).count() == 100


async def test_only_leaders_create_series(database: str) -> None:
    _, team_id = await leader_and_team()
    stranger = Actor(volunteer=await factories.volunteer("路人"))
    with pytest.raises(DomainError) as caught:
        await recurrence.create_series(stranger, draft(team_id), "FREQ=WEEKLY;COUNT=4")
    assert caught.value.code == ErrorCode.FORBIDDEN
    leader, other_team_id = await leader_and_team()
    bad = draft(other_team_id)
    bad.title = ""
    with pytest.raises(ValidationErrors):
        await recurrence.create_series(leader, bad, "FREQ=WEEKLY;COUNT=2")


async def test_create_event_with_recurrence_over_graphql(client) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    factories.log_in_as(client, leader)
    from api.http.ids import encode_id

    mutation = """
      mutation($input: CreateEventInput!) {
        createEvent(input: $input) {
          event { startsAt series { rule events(first: 10) { totalCount nodes { startsAt } } } }
          userErrors { code field }
        }
      }"""
    variables = {
        "input": {
            "teamId": encode_id("Team", team.id),
            "title": "法律咨询日",
            "kind": "LEGAL_AID",
            "startsAt": "2031-03-01T09:00:00+08:00",
            "endsAt": "2031-03-01T11:00:00+08:00",
            "shifts": [
                {
                    "role": "律师",
                    "startsAt": "2031-03-01T09:00:00+08:00",
                    "endsAt": "2031-03-01T11:00:00+08:00",
                    "capacity": 2,
                }
            ],
            "publish": True,
            "recurrence": "FREQ=WEEKLY;BYDAY=SA;COUNT=4",
        }
    }
    data = await gql.ok(mutation, variables)
    payload = data["createEvent"]
    assert payload["userErrors"] == []
    series = payload["event"]["series"]
    assert series["rule"] == "FREQ=WEEKLY;BYDAY=SA;COUNT=4"
    assert series["events"]["totalCount"] == 4
    starts = [datetime.fromisoformat(n["startsAt"]) for n in series["events"]["nodes"]]
    assert all(s.astimezone(SHANGHAI).hour == 9 for s in starts)

    variables["input"]["recurrence"] = "FREQ=WEEKLY"
    data = await gql.ok(mutation, variables)
    assert data["createEvent"]["event"] is None
    assert data["createEvent"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["recurrence"]}]
