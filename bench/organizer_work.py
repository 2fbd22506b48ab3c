"""Organizer background work on SQLite: series expansion, reminder ticks, outbox fan-out.

    .venv/bin/python bench/organizer_work.py [--people 1000] [--occurrences 100]

Prints the figures (bench/results/organizer_work.md records a run by hand)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")

from api.domain import events, recurrence, signups  # noqa: E402
from api.domain.actors import Actor  # noqa: E402
from api.infra import channels  # noqa: E402
from api.jobs import scheduler  # noqa: E402
from api.models import Shift  # noqa: E402
from tests.support import factories  # noqa: E402
from tests.support.databases import migrate, orm, sqlite_url  # noqa: E402
from tests.support.fakes import FakeClock  # noqa: E402


async def run(work: Path, people: int, occurrences: int) -> None:
    url = sqlite_url(work / "organizer.sqlite3")
    await migrate(url)
    async with orm(url):
        channels.set_channels([])
        leader = await factories.volunteer("组长")
        team = await factories.team(leaders=(leader,))
        actor = Actor(volunteer=leader)
        t = time.perf_counter()
        await recurrence.create_series(
            actor, factories.event_draft(team.id), f"FREQ=DAILY;COUNT={occurrences}"
        )
        print(f"{occurrences}-occurrence series (2 shifts each): {time.perf_counter() - t:.3f} s")
        # `people` confirmed sign-ups on one event's shift
        event = await factories.event(team, capacities=(people,))
        shift = await Shift.get(event_id=event.id)
        volunteers = [await factories.volunteer(f"v{i}") for i in range(people)]
        for i, p in enumerate(volunteers):
            await signups.sign_up(Actor(volunteer=p), shift.id, f"k{i}")
        clock = FakeClock(shift.starts_at - timedelta(hours=23))
        try:
            t = time.perf_counter()
            results = await asyncio.gather(scheduler.tick(), scheduler.tick())
            dt = time.perf_counter() - t
            sent = sum(r.reminders for r in results)
            print(f"reminders for {people} sign-ups, two concurrent ticks: {sent} in {dt:.2f} s")
            t = time.perf_counter()
            r = await scheduler.tick()
            print(f"idle tick after that: {r} in {(time.perf_counter() - t) * 1000:.1f} ms")
            await events.cancel_event(actor, event.id, "test")
            t = time.perf_counter()
            r = await scheduler.tick()
            print(
                f"EVENT_CANCELLED to {people} recipients: {r.notifications} notifications"
                f" in {time.perf_counter() - t:.2f} s"
            )
        finally:
            clock.restore()
            channels.set_channels(None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--occurrences", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linli-organizer-") as tmp:
        asyncio.run(run(Path(tmp), args.people, args.occurrences))
    return 0


if __name__ == "__main__":
    sys.exit(main())
