"""Planning after creation: publishing a whole draft series, adding and removing shifts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.domain import notifications, planning, recurrence, signups
from api.domain.actors import Actor
from api.domain.errors import DomainError, ValidationErrors
from api.domain.events import EventDraft, ShiftDraft
from api.domain.planning import PublishScope
from api.infra import clock
from api.infra.i18n import render_stored
from api.models import (
    DomainEvent,
    Event,
    EventKind,
    EventStatus,
    Notification,
    Shift,
    Signup,
    SignupStatus,
)
from tests import factories


async def _draft_series(leader, team, weeks: int = 4) -> list[Event]:
    starts = factories.soon(days=2)
    draft = EventDraft(
        team_id=team.id,
        title="周六义剪",
        kind=EventKind.HAIRCUT,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        shifts=[ShiftDraft("理发师", starts, starts + timedelta(hours=2), 3)],
    )
    first = await recurrence.create_series(
        Actor(volunteer=leader), draft, f"FREQ=WEEKLY;COUNT={weeks}"
    )
    return await Event.filter(series_id=first.series_id).order_by("starts_at")


async def _leader_team():
    leader = await factories.volunteer("队长")
    return leader, await factories.team(leaders=(leader,))


async def test_publishing_the_whole_series_opens_every_draft(database):
    leader, team = await _leader_team()
    series = await _draft_series(leader, team)
    assert {e.status for e in series} == {EventStatus.DRAFT}
    published = await planning.publish_series(
        Actor(volunteer=leader), series[0].id, PublishScope.ALL
    )
    assert [e.id for e in published] == [e.id for e in series]
    assert (
        await Event.filter(series_id=series[0].series_id, status=EventStatus.PUBLISHED).count() == 4
    )
    # Again: nothing left to publish, no error.
    assert (
        await planning.publish_series(Actor(volunteer=leader), series[0].id, PublishScope.ALL) == []
    )


async def test_following_and_this_scopes(database):
    leader, team = await _leader_team()
    series = await _draft_series(leader, team)
    actor = Actor(volunteer=leader)
    await planning.publish_series(actor, series[2].id, PublishScope.FOLLOWING)
    statuses = [(await Event.get(id=e.id)).status for e in series]
    assert statuses == [
        EventStatus.DRAFT,
        EventStatus.DRAFT,
        EventStatus.PUBLISHED,
        EventStatus.PUBLISHED,
    ]
    await planning.publish_series(actor, series[0].id, PublishScope.THIS)
    assert (await Event.get(id=series[0].id)).status == EventStatus.PUBLISHED
    assert (await Event.get(id=series[1].id)).status == EventStatus.DRAFT


async def test_cancelled_and_past_drafts_stay_as_they_are(database):
    leader, team = await _leader_team()
    series = await _draft_series(leader, team)
    await Event.filter(id=series[1].id).update(status=EventStatus.CANCELLED)
    # The first occurrence is over by the time the leader publishes.
    clock.set_clock(lambda: series[0].ends_at + timedelta(minutes=1))
    published = await planning.publish_series(
        Actor(volunteer=leader), series[3].id, PublishScope.ALL
    )
    assert [e.id for e in published] == [series[2].id, series[3].id]
    assert (await Event.get(id=series[0].id)).status == EventStatus.DRAFT
    assert (await Event.get(id=series[1].id)).status == EventStatus.CANCELLED


async def test_only_leaders_publish_a_series(database):
    leader, team = await _leader_team()
    series = await _draft_series(leader, team)
    member = await factories.volunteer("队员")
    with pytest.raises(DomainError) as refused:
        await planning.publish_series(Actor(volunteer=member), series[0].id, PublishScope.ALL)
    assert refused.value.code in ("FORBIDDEN", "NOT_FOUND")
    assert await Event.filter(status=EventStatus.PUBLISHED).count() == 0


async def test_add_a_shift_within_the_event(database):
    leader, team = await _leader_team()
    event = await factories.event(team)
    actor = Actor(volunteer=leader)
    shift = await planning.add_shift(
        actor, event.id, " 引导员 ", event.starts_at, event.starts_at + timedelta(hours=1), 2
    )
    assert (shift.role, shift.capacity, shift.seats_taken) == ("引导员", 2, 0)
    with pytest.raises(ValidationErrors):
        await planning.add_shift(
            actor, event.id, "晚到", event.ends_at, event.ends_at + timedelta(hours=1), 2
        )
    with pytest.raises(ValidationErrors):
        await planning.add_shift(actor, event.id, "", event.starts_at, event.ends_at, 0)
    outsider = await factories.volunteer("路人")
    with pytest.raises(DomainError):
        await planning.add_shift(
            Actor(volunteer=outsider), event.id, "x", event.starts_at, event.ends_at, 1
        )
    assert await Shift.filter(event_id=event.id).count() == 2


async def test_removing_a_shift_cancels_and_tells_its_sign_ups(database):
    leader, team = await _leader_team()
    event = await factories.event(team, capacities=(3, 1))
    keep, gone = await Shift.filter(event_id=event.id).order_by("id")
    confirmed, waiting, elsewhere = (
        await factories.volunteer("甲"),
        await factories.volunteer("乙"),
        await factories.volunteer("丙"),
    )
    await signups.sign_up(Actor(volunteer=confirmed), gone.id, "a")
    await signups.sign_up(Actor(volunteer=waiting), gone.id, "b")
    await signups.sign_up(Actor(volunteer=elsewhere), keep.id, "c")
    event_after = await planning.remove_shift(Actor(volunteer=leader), gone.id)
    assert event_after.id == event.id
    assert not await Shift.exists(id=gone.id)
    assert await Signup.filter(shift_id=keep.id, status=SignupStatus.CONFIRMED).count() == 1
    row = await DomainEvent.get(kind="SHIFT_REMOVED")
    assert row.payload["volunteer_ids"] == sorted([confirmed.id, waiting.id])
    await notifications.dispatch_pending()
    told = await Notification.filter(source=f"event:{row.id}").values_list(
        "volunteer_id", flat=True
    )
    assert sorted(told) == sorted([confirmed.id, waiting.id])
    stored = (await Notification.get(volunteer_id=confirmed.id)).message
    message = render_stored(stored, "zh-CN")  # stored as id + parameters
    assert "岗位已取消" in message and "岗位2" in message


async def test_the_last_shift_and_recorded_attendance_stay(database):
    leader, team = await _leader_team()
    actor = Actor(volunteer=leader)
    single = await factories.event(team)
    only = await Shift.get(event_id=single.id)
    with pytest.raises(DomainError) as last:
        await planning.remove_shift(actor, only.id)
    assert last.value.code == "INVALID_STATE"

    event = await factories.event(team, capacities=(2, 2))
    first, _second = await Shift.filter(event_id=event.id).order_by("id")
    came = await factories.volunteer("到场")
    signup = await signups.sign_up(Actor(volunteer=came), first.id, "k")
    from api.domain import checkin

    clock.set_clock(lambda: first.starts_at + timedelta(minutes=5))  # attendance once started
    await checkin.mark_attendance(actor, signup.id, SignupStatus.ATTENDED, 2)
    with pytest.raises(DomainError) as recorded:
        await planning.remove_shift(actor, first.id)
    assert recorded.value.code == "INVALID_STATE"
    assert await Shift.exists(id=first.id)

    await Event.filter(id=event.id).update(status=EventStatus.CANCELLED)
    with pytest.raises(DomainError) as closed:
        await planning.remove_shift(actor, _second.id)
    assert closed.value.code == "INVALID_STATE"


async def test_a_cancelled_draft_is_not_published_with_its_series(database):
    from api.domain import scheduling

    leader, team = await _leader_team()
    series = await _draft_series(leader, team)
    actor = Actor(volunteer=leader)
    await scheduling.cancel_following(actor, series[2].id, "场地维修")
    published = await planning.publish_series(actor, series[0].id, PublishScope.ALL)
    assert [e.id for e in published] == [series[0].id, series[1].id]
    later = [await Event.get(id=e.id) for e in series[2:]]
    assert [(e.status, e.cancel_reason) for e in later] == [(EventStatus.DRAFT, "场地维修")] * 2
    with pytest.raises(DomainError) as refused:
        await planning.add_shift(actor, series[3].id, "x", later[1].starts_at, later[1].ends_at, 1)
    assert refused.value.code == "INVALID_STATE"
