"""The background scheduler inside the server: every ~30 seconds it turns the outbox into
notifications, makes the reminders that are due, sends what is pending on the outbound
channels (new notifications, and retries of failed deliveries), and closes events that ended
some hours ago (no-shows recorded).

Every worker runs one; the work is claimed row by row in the database, so several of them (or
a restart) never send anything twice. ``LINLI_SCHEDULER=off`` disables it (e.g. when a
separate process does the work); ``LINLI_SCHEDULER_INTERVAL`` sets the period in seconds.
Tests call `tick()` directly with a controlled clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from api.domain import appointments, closing, notifications, reminders, throttle
from api.jobs import delivery
from api.settings import Settings, get_settings

log = logging.getLogger("linli.scheduler")


@dataclass(frozen=True)
class TickResult:
    notifications: int
    reminders: int
    delivered: int


async def tick() -> TickResult:
    """One round of work: outbox → notifications, due reminders, then outbound delivery."""
    made = reminded = delivered = 0
    try:
        made = await notifications.dispatch_pending()
    except Exception:  # one failing job must not stop the other
        log.exception("dispatching notifications failed")
    try:
        reminded = await reminders.send_due()
        reminded += await appointments.send_due_reminders()
    except Exception:
        log.exception("sending reminders failed")
    try:
        delivered = await delivery.deliver_pending()
    except Exception:
        log.exception("delivering notifications failed")
    try:
        await closing.close_finished_events()
    except Exception:
        log.exception("closing finished events failed")
    try:
        await throttle.purge_expired()  # failed attempts no limit counts any more
    except Exception:
        log.exception("purging throttle rows failed")
    return TickResult(notifications=made, reminders=reminded, delivered=delivered)


async def run_forever(period: float) -> None:
    while True:
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is logged and retried next period
            log.exception("scheduler tick failed")
        await asyncio.sleep(period)


@contextlib.asynccontextmanager
async def running(settings: Settings | None = None) -> AsyncIterator[asyncio.Task[None] | None]:
    """Runs the scheduler for the lifetime of the block (the app's lifespan)."""
    settings = settings or get_settings()
    if not settings.scheduler_enabled:
        yield None
        return
    task = asyncio.create_task(run_forever(settings.scheduler_interval), name="linli-scheduler")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
