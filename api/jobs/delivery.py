"""Outbound delivery of notifications (SMS/WeChat gateways behind `api.infra.channels`),
durable across failures, restarts and several workers.

A notification is pending until every active channel has taken it (``delivered_at``). A
worker leases a pending row with one conditional update that moves ``next_delivery_at`` a
lease ahead and counts the attempt, so no two workers send it at once; a worker that dies
mid-send leaves the lease to expire and the row is sent again (gateways get a stable
``Idempotency-Key`` per notification). A failed attempt schedules the next one with
exponential backoff; after `MAX_ATTEMPTS` the row stays undelivered and is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from api.infra import channels, clock
from api.infra.i18n import DEFAULT_LANGUAGE, render_stored, supported
from api.models import Notification, Volunteer
from api.settings import get_settings

log = logging.getLogger("linli.notify")

BATCH = 50
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def _due(now: datetime) -> Q:
    return Q(
        Q(next_delivery_at__isnull=True) | Q(next_delivery_at__lte=now),
        delivered_at__isnull=True,
        delivery_attempts__lt=MAX_ATTEMPTS,
    )


def event_url(event_id: int | None) -> str | None:
    return f"{get_settings().public_url}/events/{event_id}" if event_id else None


async def _lease(notification: Notification, now: datetime) -> bool:
    leased = await Notification.filter(_due(now), id=notification.id).update(
        next_delivery_at=now + LEASE, delivery_attempts=F("delivery_attempts") + 1
    )
    return leased == 1


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
    for n in leased:
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
            language=language,
        )
        if await channels.deliver(message):
            await Notification.filter(id=n.id).update(delivered_at=clock.now())
            delivered += 1
            continue
        attempts = n.delivery_attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.error("notification %s not delivered after %d attempts", n.id, attempts)
        await Notification.filter(id=n.id).update(
            next_delivery_at=clock.now() + retry_delay(attempts)
        )
    return delivered
