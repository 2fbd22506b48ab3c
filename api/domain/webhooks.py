"""Webhooks for third parties: subscriptions, who may receive what, and the messages.

An account (a logged-in person, or an API token with the ``WEBHOOKS`` scope) subscribes a URL
to some `WebhookEvent` kinds and gets a Standard Webhooks signing secret once. Public kinds
(`PUBLIC_EVENTS`: an event published, updated, cancelled; a shift's seat counts) are about
published events only, for anyone. Sign-up kinds (`LEADER_EVENTS`) are for a team's leaders
about their team's events (admins: every team), and a token needs ``READ_PERSONAL`` as well to
subscribe to them; their payloads carry what a leader sees of a sign-up, never a phone.

Messages come from the outbox: the change that causes one records an outbox row in its own
transaction (`api.domain.outbox.record`); the dispatcher (`notifications.dispatch_pending`)
calls `fan_out` for each row, which writes one `WebhookDelivery` per subscribed webhook that
may see it (unique per webhook, row and kind: a row processed twice makes no duplicates), with
its JSON body and a random ``webhook-id`` kept for every attempt. `api.jobs.webhooks` sends
them. The body describes the object as it is when the row is dispatched (normally within a
second of the change); read the API for the latest.

Each account has at most `MAX_WEBHOOKS`; the count and the insert happen under the account's
row lock (SQLite: one writer at a time), so parallel requests cannot exceed it.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.domain import throttle
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.locks import lock_volunteer
from api.infra import clock, destinations, wakeups, webhook_secrets
from api.infra.i18n import N_, Text
from api.models import (
    DomainEvent,
    Event,
    EventStatus,
    Shift,
    Signup,
    TeamMembership,
    TeamRole,
    Volunteer,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from api.settings import get_settings

MAX_WEBHOOKS = 10
#: Redeliveries one account may ask for in an hour (each makes outbound requests).
REDELIVERIES_PER_HOUR = 60
#: How long the delivery log keeps a message (with its attempts).
LOG_KEPT = timedelta(days=30)
DESCRIPTION_MAX = 200
#: The attempts a delivery shows (a redelivered message may have more).
ATTEMPTS_SHOWN = 20


class WebhookEvent(StrEnum):
    EVENT_PUBLISHED = "EVENT_PUBLISHED"
    EVENT_UPDATED = "EVENT_UPDATED"
    EVENT_CANCELLED = "EVENT_CANCELLED"
    SHIFT_SEATS_CHANGED = "SHIFT_SEATS_CHANGED"
    SIGNUP_CREATED = "SIGNUP_CREATED"
    SIGNUP_CANCELLED = "SIGNUP_CANCELLED"


PUBLIC_EVENTS = frozenset(
    {
        WebhookEvent.EVENT_PUBLISHED,
        WebhookEvent.EVENT_UPDATED,
        WebhookEvent.EVENT_CANCELLED,
        WebhookEvent.SHIFT_SEATS_CHANGED,
    }
)
LEADER_EVENTS = frozenset({WebhookEvent.SIGNUP_CREATED, WebhookEvent.SIGNUP_CANCELLED})

#: Outbox row kinds → the webhook kinds they make.
FROM_OUTBOX: dict[str, tuple[WebhookEvent, ...]] = {
    "EVENT_PUBLISHED": (WebhookEvent.EVENT_PUBLISHED,),
    "EVENT_CHANGED": (WebhookEvent.EVENT_UPDATED,),
    "SHIFT_ADDED": (WebhookEvent.EVENT_UPDATED,),
    "SHIFT_REMOVED": (WebhookEvent.EVENT_UPDATED,),
    "EVENT_COMPLETED": (WebhookEvent.EVENT_UPDATED,),
    "EVENT_CANCELLED": (WebhookEvent.EVENT_CANCELLED,),
    "SIGNUP_CREATED": (WebhookEvent.SIGNUP_CREATED, WebhookEvent.SHIFT_SEATS_CHANGED),
    "SIGNUP_CANCELLED": (WebhookEvent.SIGNUP_CANCELLED, WebhookEvent.SHIFT_SEATS_CHANGED),
    "PROMOTED_FROM_WAITLIST": (WebhookEvent.SHIFT_SEATS_CHANGED,),
    "SHIFT_CAPACITY_CHANGED": (WebhookEvent.SHIFT_SEATS_CHANGED,),
}


class DisabledReason(StrEnum):
    OWNER = "OWNER"  # turned off by its owner
    FAILING = "FAILING"  # turned off automatically after repeated failures


def events_of(webhook: Webhook) -> list[WebhookEvent]:
    return [WebhookEvent(e) for e in webhook.events.split(",") if e in WebhookEvent.__members__]


def global_id(type_name: str, pk: int) -> str:
    """The API's global id of a row (the same format as `api.http.ids.encode_id`)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


# --- Who may do what ------------------------------------------------------------------------


def _require_webhook_caller(actor: Actor) -> Volunteer:
    volunteer = actor.require_volunteer()
    if actor.scopes is not None and "WEBHOOKS" not in actor.scopes:
        raise DomainError(ErrorCode.FORBIDDEN, N_("This API token lacks the WEBHOOKS scope."))
    return volunteer


def may_read(actor: Actor, volunteer_id: int) -> bool:
    """The owner's webhooks and their delivery logs: to the owner only (a session, or a token
    with the WEBHOOKS scope)."""
    if actor.id is None or actor.id != volunteer_id:
        return False
    return actor.scopes is None or "WEBHOOKS" in actor.scopes


async def _check_events(actor: Actor, v: Validator, wanted: Iterable[WebhookEvent]) -> list[str]:
    chosen = sorted({WebhookEvent(e) for e in wanted})
    v.check(bool(chosen), N_("Choose at least one event."), "events")
    if LEADER_EVENTS & set(chosen):
        if actor.scopes is not None and "READ_PERSONAL" not in actor.scopes:
            raise DomainError(
                ErrorCode.FORBIDDEN,
                N_("Sign-up events need a token with the READ_PERSONAL scope as well."),
                ["events"],
            )
        if not actor.is_admin and not await actor.led_team_ids():
            raise DomainError(
                ErrorCode.FORBIDDEN,
                N_("Only a team's leaders may subscribe to sign-up events."),
                ["events"],
            )
    return [str(e) for e in chosen]


_REFUSALS: dict[destinations.Refusal, tuple[ErrorCode, Text]] = {
    destinations.Refusal.INVALID_URL: (
        ErrorCode.INVALID_URL,
        N_("Enter a full http(s) URL without a user name or password."),
    ),
    destinations.Refusal.HTTPS_REQUIRED: (
        ErrorCode.HTTPS_REQUIRED,
        N_("Webhook URLs must use https."),
    ),
    destinations.Refusal.PRIVATE_DESTINATION: (
        ErrorCode.PRIVATE_DESTINATION,
        N_("This address is private, loopback or reserved; webhooks go to public addresses only."),
    ),
    destinations.Refusal.UNRESOLVABLE_HOST: (
        ErrorCode.UNRESOLVABLE_HOST,
        N_("This host name could not be resolved."),
    ),
}


async def checked_url(url: str) -> str:
    """The URL as stored, or a `DomainError` with the refusal's stable code."""
    try:
        destination = await destinations.check(
            url, allow_private=get_settings().webhook_allow_private
        )
    except destinations.DestinationRefused as refused:
        code, text = _REFUSALS[refused.reason]
        raise DomainError(code, text, ["url"]) from None
    return destination.url


# --- Managing webhooks --------------------------------------------------------------------


async def create_webhook(
    actor: Actor, url: str, events: Iterable[WebhookEvent], description: str | None
) -> tuple[str, Webhook]:
    """A new webhook for the actor's account: its signing secret (shown once) and the row."""
    volunteer = _require_webhook_caller(actor)
    v = Validator()
    clean_description = v.text(
        description,
        "description",
        max_length=DESCRIPTION_MAX,
        required=False,
        label=N_("The description"),
    )
    chosen = await _check_events(actor, v, events)
    v.raise_if_any()
    clean_url = await checked_url(url)
    secret = webhook_secrets.new_secret()
    async with in_transaction():
        # The account's row lock serialises its creations (PostgreSQL; SQLite has one writer).
        await lock_volunteer(volunteer.id)
        if await Webhook.filter(volunteer_id=volunteer.id).count() >= MAX_WEBHOOKS:
            raise DomainError(
                ErrorCode.WEBHOOK_LIMIT_REACHED,
                N_("At most %(n)s webhooks per account: delete one first.", n=MAX_WEBHOOKS),
            )
        row = await Webhook.create(
            volunteer_id=volunteer.id,
            url=clean_url,
            description=clean_description or "",
            events=",".join(chosen),
            secret=webhook_secrets.seal(secret),  # kept sealed; shown this once
        )
    return secret, row


async def _own_webhook(actor: Actor, webhook_id: int) -> Webhook:
    volunteer = _require_webhook_caller(actor)
    row = await Webhook.get_or_none(id=webhook_id)
    if row is None or row.volunteer_id != volunteer.id:
        raise _no_such_webhook()
    return row


def _no_such_webhook() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, N_("No such webhook."), ["id"])


async def update_webhook(
    actor: Actor,
    webhook_id: int,
    *,
    url: str | None = None,
    events: Iterable[WebhookEvent] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Webhook:
    """Changes a webhook; `enabled=True` turns it on again (also after it was disabled for
    failing: its waiting messages are tried again at once)."""
    row = await _own_webhook(actor, webhook_id)
    v = Validator()
    updates: dict[str, Any] = {}
    if description is not None:
        updates["description"] = (
            v.text(
                description,
                "description",
                max_length=DESCRIPTION_MAX,
                required=False,
                label=N_("The description"),
            )
            or ""
        )
    if events is not None:
        updates["events"] = ",".join(await _check_events(actor, v, events))
    v.raise_if_any()
    if url is not None:
        updates["url"] = await checked_url(url)
    now = clock.now()
    async with in_transaction():
        if await Webhook.filter(id=row.id).select_for_update().only("id").first() is None:
            raise _no_such_webhook()  # deleted meanwhile (the owner's other tab)
        if enabled is True and not row.enabled:
            updates.update(
                enabled=True,
                disabled_reason=None,
                disabled_at=None,
                failing_since=None,
                failed_deliveries=0,
            )
            await WebhookDelivery.filter(webhook_id=row.id, delivered_at__isnull=True).update(
                next_delivery_at=None
            )
            wakeups.after_commit(wakeups.webhooks_made.notify)
        elif enabled is False and row.enabled:
            updates.update(enabled=False, disabled_reason=DisabledReason.OWNER, disabled_at=now)
        if updates:
            await Webhook.filter(id=row.id).update(**updates)
        return await Webhook.get(id=row.id)


async def delete_webhook(actor: Actor, webhook_id: int) -> int:
    """Deletes a webhook with its delivery log; answers its id."""
    row = await _own_webhook(actor, webhook_id)
    await Webhook.filter(id=row.id).delete()
    return row.id


async def webhooks_of(actor: Actor, volunteer_id: int) -> list[Webhook]:
    if not may_read(actor, volunteer_id):
        return []
    return await Webhook.filter(volunteer_id=volunteer_id).order_by("id")


def deliveries_of(actor: Actor, webhook: Webhook) -> QuerySet[WebhookDelivery] | None:
    """A webhook's delivery log, for its owner only (None for anyone else)."""
    if not may_read(actor, webhook.volunteer_id):
        return None
    return WebhookDelivery.filter(webhook_id=webhook.id)


async def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """The delivery's latest attempts, oldest first (read through `deliveries_of`)."""
    latest = (
        await WebhookAttempt.filter(delivery_id=delivery.id).order_by("-id").limit(ATTEMPTS_SHOWN)
    )
    return list(reversed(latest))


async def redeliver(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Sends a message again (same ``webhook-id`` and body, a new signature), with a fresh
    round of attempts."""
    volunteer = _require_webhook_caller(actor)
    delivery = await WebhookDelivery.get_or_none(id=delivery_id).select_related("webhook")
    if delivery is None or delivery.webhook.volunteer_id != volunteer.id:
        raise _no_such_delivery()
    if not delivery.webhook.enabled:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("This webhook is disabled: enable it first."),
            ["deliveryId"],
        )
    await throttle.quota(
        f"webhook:redeliver:{volunteer.id}",
        REDELIVERIES_PER_HOUR,
        timedelta(hours=1),
        N_("Too many redeliveries asked for in the last hour. Please try again later."),
    )
    again = await WebhookDelivery.filter(id=delivery.id).update(
        delivered_at=None, delivery_attempts=0, next_delivery_at=None
    )
    current = await WebhookDelivery.get_or_none(id=delivery.id) if again else None
    if current is None:  # deleted meanwhile, with its webhook
        raise _no_such_delivery()
    wakeups.after_commit(wakeups.webhooks_made.notify)
    return current


def _no_such_delivery() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, N_("No such delivery."), ["deliveryId"])


# --- Messages ---------------------------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return clock.utc(value).isoformat() if value is not None else None


def _shift_data(shift: Shift) -> dict[str, Any]:
    return {
        "id": global_id("Shift", shift.id),
        "eventId": global_id("Event", shift.event_id),
        "role": shift.role,
        "startsAt": _moment(shift.starts_at),
        "endsAt": _moment(shift.ends_at),
        "capacity": shift.capacity,
        "seatsTaken": shift.seats_taken,
        "seatsLeft": shift.seats_left,
        "waitlistCount": shift.waitlist_count,
    }


async def _event_data(event: Event) -> dict[str, Any]:
    shifts = await Shift.filter(event_id=event.id).order_by("starts_at", "id")
    return {
        "id": global_id("Event", event.id),
        "title": event.title,
        "kind": str(event.kind),
        "status": str(event.status),
        "description": event.description,
        "startsAt": _moment(event.starts_at),
        "endsAt": _moment(event.ends_at),
        "location": (
            {"name": event.location_name, "address": event.location_address}
            if event.location_name or event.location_address
            else None
        ),
        "teamId": global_id("Team", event.team_id),
        "communityId": global_id("Community", event.community_id) if event.community_id else None,
        "cancelReason": event.cancel_reason if event.status == EventStatus.CANCELLED else None,
        "url": f"{get_settings().public_url}/events/{event.id}",
        "shifts": [_shift_data(s) for s in shifts],
    }


async def _signup_data(signup: Signup, status: str) -> dict[str, Any]:
    """What a leader of the team sees of a sign-up; never a phone."""
    names = await Volunteer.filter(id=signup.volunteer_id).values_list("display_name", flat=True)
    return {
        "id": global_id("Signup", signup.id),
        "status": status,
        "shiftId": global_id("Shift", signup.shift_id),
        "volunteer": {
            "id": global_id("Volunteer", signup.volunteer_id),
            "displayName": names[0] if names else "",
        },
        "createdAt": _moment(signup.created_at),
        "cancelledAt": _moment(signup.cancelled_at),
    }


class _Subject:
    """What one outbox row is about, loaded once for every webhook."""

    def __init__(self, event: Event, shift: Shift | None, signup: Signup | None) -> None:
        self.event = event
        self.shift = shift
        self.signup = signup

    @classmethod
    async def of(cls, row: DomainEvent) -> _Subject | None:
        payload = row.payload or {}
        signup = shift = None
        if payload.get("signup_id") is not None:
            signup = await Signup.get_or_none(id=payload["signup_id"])
        shift_id = payload.get("shift_id") or (signup.shift_id if signup else None)
        if shift_id is not None:
            shift = await Shift.get_or_none(id=shift_id)
        event_id = payload.get("event_id") or (shift.event_id if shift else None)
        event = await Event.get_or_none(id=event_id) if event_id is not None else None
        if event is None:
            return None
        return cls(event, shift, signup)

    async def body(self, kind: WebhookEvent, row: DomainEvent) -> dict[str, Any] | None:
        data: dict[str, Any]
        if kind in LEADER_EVENTS:
            if self.signup is None:
                return None
            # The status the change left it in (a later change has its own message).
            status = (
                "CANCELLED"
                if kind == WebhookEvent.SIGNUP_CANCELLED
                else str((row.payload or {}).get("status") or self.signup.status)
            )
            data = {
                "signup": await _signup_data(self.signup, status),
                "eventId": global_id("Event", self.event.id),
                "teamId": global_id("Team", self.event.team_id),
            }
        elif kind == WebhookEvent.SHIFT_SEATS_CHANGED:
            if self.shift is None:
                return None
            data = {"shift": _shift_data(self.shift)}
        else:
            data = {"event": await _event_data(self.event)}
            changed = (row.payload or {}).get("changed")
            if kind == WebhookEvent.EVENT_UPDATED:
                data["changed"] = list(changed) if isinstance(changed, list) else []
        return {"type": str(kind), "timestamp": _moment(row.created_at), "data": data}


async def _leaders(team_id: int, owners: set[int]) -> set[int]:
    """Which of these accounts may see the team's sign-ups: its leaders and admins."""
    leaders = await TeamMembership.filter(
        team_id=team_id, role=TeamRole.LEADER, volunteer_id__in=list(owners)
    ).values_list("volunteer_id", flat=True)
    admins = await Volunteer.filter(id__in=list(owners), is_admin=True).values_list("id", flat=True)
    return {int(str(i)) for i in leaders} | {int(str(i)) for i in admins}


async def forget_old(now: datetime | None = None) -> int:
    """Deletes messages (and their attempts) older than `LOG_KEPT` from the delivery log."""
    cutoff = (now or clock.now()) - LOG_KEPT
    return await WebhookDelivery.filter(created_at__lt=cutoff).delete()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


async def fan_out(row: DomainEvent) -> int:
    """The webhook messages an outbox row makes (inside the dispatcher's round); answers how
    many new ones were written."""
    kinds = FROM_OUTBOX.get(row.kind)
    if not kinds:
        return 0
    hooks = [h for h in await Webhook.filter(enabled=True) if any(k in events_of(h) for k in kinds)]
    if not hooks:
        return 0
    subject = await _Subject.of(row)
    if subject is None or subject.event.status == EventStatus.DRAFT:
        return 0  # drafts are the team's own business: no public message about them
    leaders: set[int] | None = None
    made: list[WebhookDelivery] = []
    for kind in kinds:
        wanting = [h for h in hooks if kind in events_of(h)]
        if not wanting:
            continue
        if kind in LEADER_EVENTS:
            if leaders is None:
                leaders = await _leaders(subject.event.team_id, {h.volunteer_id for h in hooks})
            wanting = [h for h in wanting if h.volunteer_id in leaders]
        body = await subject.body(kind, row) if wanting else None
        if body is None:
            continue
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        made += [
            WebhookDelivery(
                webhook_id=h.id,
                event_type=str(kind),
                source_event_id=row.id,
                message_id=new_message_id(),
                payload=text,
            )
            for h in wanting
        ]
    if not made:
        return 0
    # A row dispatched twice (a stale claim taken over) makes no second copy: the unique
    # (webhook, row, kind) keeps one.
    await WebhookDelivery.bulk_create(made, ignore_conflicts=True)
    wakeups.after_commit(wakeups.webhooks_made.notify)
    return len(made)
