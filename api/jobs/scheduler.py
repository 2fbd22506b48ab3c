"""The background jobs inside the server, each running on its own so that a slow gateway
delays nothing else:

* ``outbox``: turns outbox rows into notifications — woken right after the transaction that
  wrote a row commits in this worker (`api.infra.wakeups`), so an in-app notice appears at
  once; otherwise every period (rows written by another worker or process);
* ``reminders``: makes the reminders that are due (shifts, appointments), every period;
* ``delivery``: sends pending notifications on the outbound channels (new ones as soon as
  they are made, retries when due), every period otherwise;
* ``webhooks``: sends third parties' webhook messages (new ones at once, retries when due);
* ``closing``: closes events that ended some hours ago (no-shows recorded), every period;
* ``throttles``: deletes failed attempts no limit counts any more, and the rate-limit counts
  of past hours, every period;
* ``changes``: prunes the change feed's entries older than ``LINLI_CHANGE_RETENTION_DAYS``
  (in batches, moving the horizon older cursors are refused behind), every period.

Every worker runs them; the work is claimed row by row in the database, so several of them
(or a restart) never send anything twice. On shutdown (SIGTERM) the jobs are cancelled and
delivery gives back the leases of what it had not sent yet. ``LINLI_SCHEDULER=off`` disables
them (e.g. when a separate process does the work); ``LINLI_SCHEDULER_INTERVAL`` sets the
period in seconds. Tests call `tick()` directly with a controlled clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from api.domain import (
    appointments,
    changes,
    closing,
    notifications,
    phone_codes,
    reminders,
    sessions,
    throttle,
)
from api.domain import webhooks as webhook_rules
from api.infra import metrics, rate_counter, wakeups
from api.jobs import delivery, webhooks
from api.settings import Settings, get_settings

log = logging.getLogger("linli.scheduler")


@dataclass(frozen=True)
class TickResult:
    notifications: int
    reminders: int
    delivered: int


async def tick() -> TickResult:
    """One round of every job, one after another: outbox, due reminders, outbound delivery."""
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
        delivered += await delivery.deliver_pending_sms()
    except Exception:
        log.exception("delivering SMS failed")
    try:
        delivered += await webhooks.deliver_pending()
    except Exception:
        log.exception("delivering webhooks failed")
    try:
        await _forget_expired_accounts()
    except Exception:
        log.exception("forgetting expired sessions and codes failed")
    try:
        await closing.close_finished_events()
    except Exception:
        log.exception("closing finished events failed")
    try:
        await throttle.purge_expired()  # failed attempts no limit counts any more
        await rate_counter.purge_expired()
    except Exception:
        log.exception("purging throttle rows failed")
    try:
        while await changes.prune_expired():
            pass
    except Exception:
        log.exception("pruning the change feed failed")
    return TickResult(notifications=made, reminders=reminded, delivered=delivered)


@dataclass(frozen=True)
class Job:
    name: str
    work: Callable[[], Awaitable[int]]
    wakeup: wakeups.Wakeup | None = None


async def _reminders() -> int:
    """Shift reminders, then appointment reminders."""
    return await reminders.send_due() + await appointments.send_due_reminders()


async def _forget_expired_accounts() -> int:
    """Expired sessions, old code requests and delivered SMS texts are forgotten, and webhook
    messages older than 30 days."""
    await sessions.delete_expired()
    await phone_codes.forget_old()
    await webhook_rules.forget_old()  # the webhook delivery log keeps 30 days
    return 0


async def _purge_throttles() -> int:
    """Failed attempts no limit counts any more, and rate-limit counts of past hours."""
    return await throttle.purge_expired() + await rate_counter.purge_expired()


JOBS = (
    Job("outbox", notifications.dispatch_pending, wakeups.outbox_written),
    Job("reminders", _reminders),
    Job("delivery", delivery.deliver_pending, wakeups.notifications_made),
    Job("sms", delivery.deliver_pending_sms),
    Job("webhooks", webhooks.deliver_pending, wakeups.webhooks_made),
    Job("closing", closing.close_finished_events),
    Job("throttles", _purge_throttles),
    Job("accounts", _forget_expired_accounts),
    Job("changes", changes.prune_expired),
)


async def run_job(job: Job, period: float) -> None:
    """Runs `job` until cancelled: again at once while it finds work, else when woken or
    when the period has passed."""
    while True:
        started = time.monotonic()
        done, failed = 0, False
        try:
            done = await job.work()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is logged and retried next period
            failed = True
            log.exception("%s job failed", job.name)
        metrics.SCHEDULER_ROUNDS.labels(job.name, "failed" if failed else "ok").observe(
            time.monotonic() - started
        )
        if done and not failed:
            await asyncio.sleep(0)  # more may be waiting (a full batch): look again
            continue
        if job.wakeup is not None:
            await job.wakeup.wait(period)
        else:
            await asyncio.sleep(period)


async def run_forever(period: float) -> None:
    async with asyncio.TaskGroup() as group:
        for job in JOBS:
            group.create_task(run_job(job, period), name=f"linli-{job.name}")


@contextlib.asynccontextmanager
async def running(settings: Settings | None = None) -> AsyncIterator[asyncio.Task[None] | None]:
    """Runs the jobs for the lifetime of the block (the app's lifespan)."""
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
