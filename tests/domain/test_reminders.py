"""Reminders before a confirmed shift: sent once across workers and restarts, never skipped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from api.domain import scheduling, signups
from api.domain.actors import Actor
from api.jobs import scheduler
from api.models import Notification, NotificationKind, ReminderDispatch
from api.settings import load_settings
from tests import factories


async def _confirmed(n: int = 2):
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(5,))
    shift = (await event.shifts.all())[0]
    people = [await factories.volunteer(f"志愿者{i}") for i in range(n)]
    for i, who in enumerate(people):
        await signups.sign_up(Actor(volunteer=who), shift.id, f"k{i}")
    return Actor(volunteer=leader), event, shift, people


def reminder_counts(rows: list[Notification]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for n in rows:
        counts[n.volunteer_id] = counts.get(n.volunteer_id, 0) + 1
    return counts


async def test_24h_and_2h_once_each_across_workers_and_restart(
    database, recorder, fake_clock
) -> None:
    leader, event, shift, people = await _confirmed()
    start = shift.starts_at
    fake_clock.at(start - timedelta(hours=30))
    assert (await scheduler.tick()).reminders == 0  # nothing due yet

    fake_clock.at(start - timedelta(hours=23, minutes=59))
    # Two workers tick at the same moment.
    results = await asyncio.gather(scheduler.tick(), scheduler.tick())
    assert sum(r.reminders for r in results) == 2
    # A restart: the next tick finds everything claimed.
    fake_clock.at(start - timedelta(hours=20))
    assert (await scheduler.tick()).reminders == 0

    fake_clock.at(start - timedelta(hours=1, minutes=30))  # the 2h mark passed while "down"
    results = await asyncio.gather(scheduler.tick(), scheduler.tick(), scheduler.tick())
    assert sum(r.reminders for r in results) == 2
    fake_clock.at(start - timedelta(minutes=5))
    assert (await scheduler.tick()).reminders == 0

    rows = await Notification.filter(kind=NotificationKind.REMINDER)
    assert reminder_counts(rows) == {p.id: 2 for p in people}
    assert len(recorder.sent) == 4
    assert await ReminderDispatch.filter(sent_at__isnull=True).count() == 0


async def test_late_sign_up_gets_only_the_nearest_reminder(database, recorder, fake_clock) -> None:
    leader, event, shift, people = await _confirmed(1)
    fake_clock.at(shift.starts_at - timedelta(minutes=90))
    assert (await scheduler.tick()).reminders == 1
    assert (await scheduler.tick()).reminders == 0
    dispatch = await ReminderDispatch.get(volunteer_id=people[0].id)
    assert dispatch.hours_before == 2


async def test_no_reminder_after_start_or_for_cancelled(database, recorder, fake_clock) -> None:
    leader, event, shift, people = await _confirmed(2)
    await signups.cancel_signup(Actor(volunteer=people[1]), (await people[1].signups.all())[0].id)
    fake_clock.at(shift.starts_at + timedelta(minutes=1))
    assert (await scheduler.tick()).reminders == 0
    fake_clock.at(shift.starts_at - timedelta(hours=1))
    assert (await scheduler.tick()).reminders == 1
    assert await Notification.filter(kind=NotificationKind.REMINDER).count() == 1


async def test_moved_event_is_reminded_again(database, recorder, fake_clock) -> None:
    leader, event, shift, people = await _confirmed(1)
    fake_clock.at(shift.starts_at - timedelta(hours=1))
    assert (await scheduler.tick()).reminders == 1
    later = event.starts_at + timedelta(days=2)
    await scheduling.update_event(leader, event.id, scheduling.EventChanges(starts_at=later))
    fake_clock.at(later - timedelta(hours=23))
    assert (await scheduler.tick()).reminders == 1
    assert await Notification.filter(kind=NotificationKind.REMINDER).count() == 2


def test_hours_from_environment() -> None:
    assert load_settings({"LINLI_REMINDER_HOURS": "2, 48,2"}).reminder_hours == (48, 2)
    assert load_settings({"LINLI_REMINDER_HOURS": "soon"}).reminder_hours == (24, 2)
    assert load_settings({"LINLI_REMINDER_HOURS": "0,9999"}).reminder_hours == (24, 2)
    assert load_settings({}).reminder_hours == (24, 2)


async def test_scheduler_runs_in_background_and_stops(database, recorder) -> None:
    every_second = load_settings({"LINLI_SCHEDULER_INTERVAL": "1"})
    assert every_second.scheduler_interval == 1.0
    async with scheduler.running(every_second) as task:
        assert task is not None and not task.done()
        await asyncio.sleep(0)
    assert task.done()
    async with scheduler.running(load_settings({"LINLI_SCHEDULER": "off"})) as nothing:
        assert nothing is None
