"""Sending third parties' webhook messages (`WebhookDelivery` rows made by
`api.domain.webhooks.fan_out`), durably, with the notification delivery's machinery.

Each due message is leased with `delivery.lease` (one conditional update: no two workers send
it at once; a worker that dies mid-send leaves the lease to expire), sent once per round with
`api.infra.webhook_sender` (signed, to a checked address, one deadline, no redirects, the
answer's size capped) and logged as a `WebhookAttempt`. A 2xx answer delivers it; anything
else is tried again after `delivery.retry_delay` (30 s, 1 min, 2 min, … at most 1 h), up to
`delivery.MAX_ATTEMPTS` attempts, then given up (the owner may redeliver it).

A webhook that keeps failing is disabled (`DisabledReason.FAILING`): when it has failed for
`DISABLE_AFTER` since its last success, or after `DISABLE_AFTER_GIVEN_UP` messages were given
up in a row. Its waiting messages stay; when the owner enables it again they are sent.

Messages to one webhook go one after another, in the order they were made; different
webhooks are served side by side (at most `PARALLEL` at once), so one slow receiver delays
only its own messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import timedelta

from tortoise.expressions import F

from api.domain.webhooks import DisabledReason
from api.infra import clock, webhook_secrets, webhook_sender
from api.jobs import delivery
from api.models import Webhook, WebhookAttempt, WebhookDelivery
from api.settings import get_settings

log = logging.getLogger("linli.webhooks")

BATCH = 50
PARALLEL = 8
#: seconds for one attempt: connecting, sending, the answer (then it counts as failed)
ATTEMPT_TIMEOUT = 10.0
DISABLE_AFTER = timedelta(hours=24)
DISABLE_AFTER_GIVEN_UP = 5


async def deliver_pending(limit: int = BATCH) -> int:
    """Sends the messages that are due on enabled webhooks; returns how many were delivered."""
    now = clock.now()
    due = (
        await WebhookDelivery.filter(delivery.due(now), webhook__enabled=True)
        .order_by("id")
        .limit(limit)
    )
    leased = [d for d in due if await delivery.lease(WebhookDelivery, d.id, now)]
    if not leased:
        return 0
    hooks = {h.id: h for h in await Webhook.filter(id__in={d.webhook_id for d in leased})}
    leased = [d for d in leased if d.webhook_id in hooks]  # a webhook deleted meanwhile
    queues: dict[int, list[WebhookDelivery]] = defaultdict(list)
    for d in leased:
        queues[d.webhook_id].append(d)
    unsent = {d.id for d in leased}
    gate = asyncio.Semaphore(PARALLEL)
    delivered = 0

    async def serve(webhook: Webhook, messages: list[WebhookDelivery]) -> None:
        nonlocal delivered
        async with gate:
            for message in messages:
                ok = await _attempt(webhook, message)
                unsent.discard(message.id)
                delivered += int(ok)
                if not ok and not await Webhook.exists(id=webhook.id, enabled=True):
                    return  # disabled meanwhile: the rest waits for the owner

    try:
        async with asyncio.TaskGroup() as group:
            for webhook_id, messages in queues.items():
                group.create_task(serve(hooks[webhook_id], messages))
    finally:
        if unsent:  # not tried (shutdown, disabled): due again at once, uncounted
            await delivery.give_back(WebhookDelivery, unsent)
    return delivered


async def _attempt(webhook: Webhook, message: WebhookDelivery) -> bool:
    """One attempt at one leased message (its lease counted this attempt)."""
    attempts = message.delivery_attempts + 1
    settings = get_settings()
    try:
        secret = webhook_secrets.reveal(webhook.secret)
        headers = webhook_sender.signed_headers(secret, message.message_id, message.payload)
        outcome = await webhook_sender.post(
            webhook.url,
            message.payload,
            headers,
            allow_private=settings.webhook_allow_private,
            seconds=ATTEMPT_TIMEOUT,
        )
    except webhook_secrets.UnreadableSecret:
        log.error("webhook %s: its secret does not open (LINLI_SECRET_KEY changed?)", webhook.id)
        outcome = webhook_sender.Outcome(None, "secret unreadable", 0)
    except Exception:  # a bug in sending must not stop the other messages
        log.exception("webhook %s: sending message %s failed", webhook.id, message.id)
        outcome = webhook_sender.Outcome(None, "internal error", 0)
    now = clock.now()
    await WebhookAttempt.create(
        delivery_id=message.id,
        attempted_at=now,
        status_code=outcome.status_code,
        error=(outcome.error or None) and outcome.error[:200],
        duration_ms=outcome.duration_ms,
    )
    if outcome.delivered:
        await WebhookDelivery.filter(id=message.id).update(
            delivered_at=now, last_status_code=outcome.status_code, last_attempt_at=now
        )
        await Webhook.filter(id=webhook.id).update(failing_since=None, failed_deliveries=0)
        return True
    await WebhookDelivery.filter(id=message.id).update(
        next_delivery_at=now + delivery.retry_delay(attempts),
        last_status_code=outcome.status_code,
        last_attempt_at=now,
    )
    given_up = attempts >= delivery.MAX_ATTEMPTS
    log.warning(
        "webhook %s: message %s attempt %d failed (%s)%s",
        webhook.id,
        message.message_id,
        attempts,
        outcome.error,
        ", given up" if given_up else "",
    )
    await _count_failure(webhook.id, given_up)
    return False


async def _count_failure(webhook_id: int, given_up: bool) -> None:
    now = clock.now()
    await Webhook.filter(id=webhook_id, failing_since__isnull=True).update(failing_since=now)
    if given_up:
        await Webhook.filter(id=webhook_id).update(failed_deliveries=F("failed_deliveries") + 1)
    hook = await Webhook.get_or_none(id=webhook_id)
    if hook is None or not hook.enabled or hook.failing_since is None:
        return
    if (
        now - hook.failing_since >= DISABLE_AFTER
        or hook.failed_deliveries >= DISABLE_AFTER_GIVEN_UP
    ):
        disabled = await Webhook.filter(id=webhook_id, enabled=True).update(
            enabled=False, disabled_reason=DisabledReason.FAILING, disabled_at=now
        )
        if disabled:
            log.error("webhook %s disabled: failing since %s", webhook_id, hook.failing_since)
