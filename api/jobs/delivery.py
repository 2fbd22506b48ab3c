"""Outbound delivery of notifications (SMS/WeChat gateways behind `api.infra.channels`),
durable across failures, restarts and several workers.

A notification is pending until every active channel has taken it (``delivered_at``). A
worker leases a pending row with one conditional update that moves ``next_delivery_at`` a
lease ahead and counts the attempt, so no two workers send it at once; a worker that dies
mid-send leaves the lease to expire and the row is sent again (gateways get a stable
``Idempotency-Key`` per notification, see `idempotency_key`). A failed attempt schedules the next one with
exponential backoff; after `MAX_ATTEMPTS` the row stays undelivered and is logged.

A batch never outlasts its lease: one message gets at most `SEND_BUDGET` on all channels,
and the batch stops taking new messages after `SEND_WINDOW` (both measured on the monotonic
clock); what it did not send — also when the worker shuts down (SIGTERM cancels the job) —
is given back at once, uncounted, for the next round or another worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.models import Model

from api.infra import channels, clock, sms
from api.infra.i18n import DEFAULT_LANGUAGE, render_stored, supported
from api.models import Notification, SmsMessage, Volunteer
from api.settings import get_settings

log = logging.getLogger("linli.notify")

BATCH = 50
LEASE = timedelta(minutes=5)
SEND_WINDOW = LEASE / 2
SEND_BUDGET = timedelta(minutes=1)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def idempotency_key(notification: Notification) -> str:
    """The gateway's deduplication key: the same for every attempt of one notification, never
    the same for two. Ids alone repeat after a restore from a backup (the rows made after the
    backup are gone, their ids are given again), so the key also carries a digest of the row's
    creation (its time to the microsecond, recipient and source): a restored database never
    repeats a key that was already sent, without storing anything."""
    created = clock.utc(notification.created_at).isoformat(timespec="microseconds")
    fingerprint = f"{notification.id}|{notification.volunteer_id}|{notification.source}|{created}"
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return f"notification-{notification.id}-{digest}"


def _due(now: datetime) -> Q:
    return Q(
        Q(next_delivery_at__isnull=True) | Q(next_delivery_at__lte=now),
        delivered_at__isnull=True,
        delivery_attempts__lt=MAX_ATTEMPTS,
    )


due = _due  # for the other outboxes with the same columns (SMS, third-party webhooks)


async def lease(model: type[Model], row_id: int, now: datetime) -> bool:
    """Leases one due row of any outbox with the delivery columns (``delivered_at``,
    ``delivery_attempts``, ``next_delivery_at``): one conditional update moves it a lease
    ahead and counts the attempt, so no two workers send it at once."""
    leased = await model.filter(_due(now), id=row_id).update(
        next_delivery_at=now + LEASE, delivery_attempts=F("delivery_attempts") + 1
    )
    return leased == 1


async def give_back(model: type[Model], ids: set[int]) -> int:
    """Gives leased, unsent rows back: due at once, the attempt not counted."""
    if not ids:
        return 0
    return await model.filter(
        id__in=list(ids), delivered_at__isnull=True, delivery_attempts__gt=0
    ).update(next_delivery_at=None, delivery_attempts=F("delivery_attempts") - 1)


def event_url(event_id: int | None) -> str | None:
    return f"{get_settings().public_url}/events/{event_id}" if event_id else None


async def _lease(notification: Notification, now: datetime) -> bool:
    return await lease(Notification, notification.id, now)


async def deliver_pending(limit: int = BATCH) -> int:
    """Sends the notifications that are due (new, or whose retry time has come) on every
    active channel; returns how many were delivered."""
    now = clock.now()
    due = await Notification.filter(_due(now)).order_by("id").limit(limit)
    leased = [n for n in due if await _lease(n, now)]
    if not leased:
        return 0
    recipients = {
        pk: (phone, language)
        for pk, phone, language in await Volunteer.filter(
            id__in={n.volunteer_id for n in leased}
        ).values_list("id", "phone", "language")
    }
    delivered = 0
    unsent = {n.id for n in leased}
    stop_at = time.monotonic() + SEND_WINDOW.total_seconds()
    try:
        for n in leased:
            if time.monotonic() > stop_at:
                break  # the rest goes back before the lease could run out
            # In the recipient's language, and in that one only.
            phone, language = recipients.get(n.volunteer_id, ("", DEFAULT_LANGUAGE))
            language = supported(language)
            message = channels.OutboundMessage(
                notification_id=n.id,
                kind=str(n.kind),
                volunteer_id=n.volunteer_id,
                phone=phone,
                message=render_stored(n.message, language),
                event_id=n.event_id,
                url=event_url(n.event_id),
                idempotency_key=idempotency_key(n),
                language=language,
            )
            try:
                async with asyncio.timeout(SEND_BUDGET.total_seconds()):
                    sent = await channels.deliver(message)
            except TimeoutError:
                log.warning("notification %s: channels took longer than %s", n.id, SEND_BUDGET)
                sent = False
            unsent.discard(n.id)
            if sent:
                await Notification.filter(id=n.id).update(delivered_at=clock.now())
                delivered += 1
                continue
            attempts = n.delivery_attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.error("notification %s not delivered after %d attempts", n.id, attempts)
            await Notification.filter(id=n.id).update(
                next_delivery_at=clock.now() + retry_delay(attempts)
            )
    finally:
        if unsent:
            await release(unsent)
    return delivered


async def release(ids: set[int]) -> int:
    """Gives leased, unsent notifications back: due at once, the attempt not counted."""
    return await give_back(Notification, ids)


async def queue_depths() -> dict[str, int]:
    """What waits: outbox rows not yet turned into notifications, notifications not yet
    delivered (still being tried), and those given up on after `MAX_ATTEMPTS`."""
    from api.models import DomainEvent

    return {
        "outbox_backlog": await DomainEvent.filter(processed_at__isnull=True).count(),
        "notifications_pending": await Notification.filter(
            delivered_at__isnull=True, delivery_attempts__lt=MAX_ATTEMPTS
        ).count(),
        "notifications_undelivered": await Notification.filter(
            delivered_at__isnull=True, delivery_attempts__gte=MAX_ATTEMPTS
        ).count(),
    }


# --- SMS (one-time codes): the same lease, retry and backoff, on `SmsMessage` rows ----------


async def _lease_sms(sms_id: int, now: datetime) -> bool:
    return await lease(SmsMessage, sms_id, now)


async def _send_sms(row: SmsMessage, attempts: int) -> bool:
    """Sends a leased message; `attempts` counts this attempt (the lease counted it)."""
    message = sms.Sms(id=row.id, phone=row.phone, purpose=row.purpose, text=row.text)
    try:
        sent = await sms.gateway().send(message)
    except Exception:  # a broken gateway must not break the request or the scheduler
        log.exception("sms gateway failed on message %s", row.id)
        sent = False
    if sent:  # the text may hold a code: it is not kept once delivered
        await SmsMessage.filter(id=row.id).update(delivered_at=clock.now(), text="")
        return True
    if attempts >= MAX_ATTEMPTS:
        log.error("sms %s not delivered after %d attempts", row.id, attempts)
    await SmsMessage.filter(id=row.id).update(next_delivery_at=clock.now() + retry_delay(attempts))
    return False


async def deliver_sms(sms_id: int) -> bool:
    """Sends one SMS now (a code just asked for); when the gateway fails, the scheduler
    tries again later."""
    now = clock.now()
    if not await _lease_sms(sms_id, now):
        return False
    row = await SmsMessage.get(id=sms_id)  # read after the lease: its count includes this one
    return await _send_sms(row, row.delivery_attempts)


async def deliver_pending_sms(limit: int = BATCH) -> int:
    """Sends the SMS that are due (never sent, or whose retry time has come)."""
    now = clock.now()
    due = await SmsMessage.filter(_due(now)).order_by("id").limit(limit)
    delivered = 0
    for row in due:
        if await _lease_sms(row.id, now):
            delivered += int(await _send_sms(row, row.delivery_attempts + 1))
    return delivered
