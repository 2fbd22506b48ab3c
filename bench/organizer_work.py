"""Organizer background work on SQLite: series expansion, reminder ticks, outbox fan-out.

Run: PYTHONPATH=. LINLI_SECRET_KEY=x .venv/bin/python bench/organizer_work.py
"""

import asyncio
import time
from datetime import timedelta

from api.domain import recurrence, signups
from api.domain.actors import Actor
from api.infra import channels, clock, db
from api.jobs import scheduler
from tests import factories
from tests.domain.test_recurrence import draft


async def main():
    url = "sqlite:///tmp/bench_org.sqlite3"
    await db.migrate(url)
    await db.init_orm(url)
    channels.set_channels([])
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    actor = Actor(volunteer=leader)
    t = time.perf_counter()
    await recurrence.create_series(actor, draft(team.id), "FREQ=DAILY;COUNT=100")
    print(f"100-occurrence series (2 shifts each): {time.perf_counter() - t:.3f} s")
    # 1000 confirmed sign-ups on one event's shift(s)
    event = await factories.event(team, capacities=(1000,))
    shift = (await event.shifts.all())[0]
    people = [await factories.volunteer(f"v{i}") for i in range(1000)]
    for i, p in enumerate(people):
        await signups.sign_up(Actor(volunteer=p), shift.id, f"k{i}")
    now = shift.starts_at - timedelta(hours=23)
    clock.set_clock(lambda: now)
    t = time.perf_counter()
    results = await asyncio.gather(scheduler.tick(), scheduler.tick())
    dt = time.perf_counter() - t
    print(
        f"reminders for 1000 sign-ups, two concurrent ticks: {sum(r.reminders for r in results)} sent in {dt:.2f} s"
    )
    t = time.perf_counter()
    r = await scheduler.tick()
    print(f"idle tick after that: {r} in {(time.perf_counter() - t) * 1000:.1f} ms")
    from api.domain import events

    await events.cancel_event(actor, event.id, "test")
    t = time.perf_counter()
    r = await scheduler.tick()
    print(
        f"EVENT_CANCELLED to 1000 recipients: {r.notifications} notifications in {time.perf_counter() - t:.2f} s"
    )
    await db.close_orm()


asyncio.run(main())
