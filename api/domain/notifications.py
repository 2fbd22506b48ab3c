"""In-app notifications, made from the outbox exactly once per recipient.

A dispatcher (any worker, any number of them) claims an outbox row with one conditional update
(``claimed_at`` set only where it is still unclaimed, or where an earlier claim is stale because
its worker died); the unique ``(source, volunteer)`` constraint on notifications is the
backstop, so a row processed twice still yields one notification per recipient. New
notifications are then sent on the outbound channels by `api.jobs.delivery`.

A notification's `message` is stored as a message id with its parameters (`Text.dumps`), not
as words: it is rendered when read, in the reader's language (the API's `Accept-Language`,
the page's language, else the recipient's `Volunteer.language`), and in the recipient's
language when sent by SMS or webhook. Rows written before hold plain text, shown as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from api.domain import webhooks
from api.domain.actors import Actor
from api.domain.errors import Validator
from api.infra import clock, wakeups
from api.infra.i18n import N_, Text
from api.models import (
    DomainEvent,
    Event,
    Notification,
    NotificationKind,
    Shift,
    Team,
    Volunteer,
)

log = logging.getLogger("linli.notify")

CLAIM_TIMEOUT = timedelta(minutes=5)
BATCH = 100
MESSAGE_MAX = 500
MAX_IDS = 100


@dataclass(frozen=True)
class Draft:
    volunteer_id: int
    kind: NotificationKind
    message: Text | str  # a plain str only from callers that write words themselves
    event_id: int | None


def stored(message: Text | str) -> str:
    """What the `message` column holds: the text's id and parameters, within its length."""
    return message[:MESSAGE_MAX] if isinstance(message, str) else message.dumps(MESSAGE_MAX)


def place_text(value: Any) -> str | Text:
    return value or N_("no place given")


async def create(source: str, drafts: list[Draft], source_event_id: int | None = None) -> int:
    """Creates the notifications of one source that do not exist yet (one per recipient), in
    one insert; returns how many it made. `source_event_id` is the outbox row they come from
    (none for reminders)."""
    if not drafts:
        return 0
    wanted = {d.volunteer_id: d for d in drafts}
    existing = set(
        await Notification.filter(source=source, volunteer_id__in=list(wanted)).values_list(
            "volunteer_id", flat=True
        )
    )
    recipients = set(
        await Volunteer.filter(id__in=list(wanted.keys() - existing)).values_list("id", flat=True)
    )
    new = [
        Notification(
            source=source,
            volunteer_id=d.volunteer_id,
            kind=d.kind,
            message=stored(d.message),
            event_id=d.event_id,
            source_event_id=source_event_id,
        )
        for volunteer_id, d in wanted.items()
        if volunteer_id in recipients
    ]
    # A parallel worker that made some of them meanwhile (a stale claim taken over) is no
    # error: the unique (source, volunteer) keeps one each.
    await Notification.bulk_create(new, batch_size=500, ignore_conflicts=True)
    if new:  # this worker's delivery job sends them as soon as they are committed
        wakeups.after_commit(wakeups.notifications_made.notify)
    return len(new)


async def drafts_for(row: DomainEvent) -> list[Draft]:
    """The notifications an outbox row asks for (none for kinds nobody is told about)."""
    payload = row.payload or {}
    if row.kind == "PROMOTED_FROM_WAITLIST":
        shift = await Shift.get_or_none(id=payload.get("shift_id")).select_related("event")
        if shift is None:
            return []
        message = N_(
            "You are off the waitlist: %(title)s (%(role)s, %(when)s).",
            title=shift.event.title,
            role=shift.role,
            when=shift.starts_at,
        )
        return [
            Draft(
                int(payload["volunteer_id"]),
                NotificationKind.PROMOTED_FROM_WAITLIST,
                message,
                shift.event_id,
            )
        ]
    if row.kind in ("EVENT_CHANGED", "EVENT_CANCELLED"):
        event = await Event.get_or_none(id=payload.get("event_id"))
        if event is None:
            return []
        if row.kind == "EVENT_CANCELLED":
            kind = NotificationKind.EVENT_CANCELLED
            reason = payload.get("reason") or ""
            message = (
                N_(
                    "Cancelled: %(title)s (%(when)s). Reason: %(reason)s",
                    title=event.title,
                    when=event.starts_at,
                    reason=reason,
                )
                if reason
                else N_("Cancelled: %(title)s (%(when)s).", title=event.title, when=event.starts_at)
            )
        else:
            kind = NotificationKind.EVENT_CHANGED
            message = N_(
                "Changed: %(title)s, now %(when)s at %(place)s.",
                title=event.title,
                when=event.starts_at,
                place=place_text(event.location_name),
            )
        return [Draft(int(v), kind, message, event.id) for v in payload.get("volunteer_ids", [])]
    if row.kind in ("SHIFT_REMOVED", "EVENT_MESSAGE"):
        event = await Event.get_or_none(id=payload.get("event_id"))
        if event is None:
            return []
        if row.kind == "SHIFT_REMOVED":
            role = payload.get("role") or ""
            message = N_(
                "Shift removed: %(title)s (%(role)s); your sign-up is cancelled.",
                title=event.title,
                role=role,
            )
        else:
            text = payload.get("text") or ""
            message = N_("%(title)s: %(text)s", title=event.title, text=text)
        kind = NotificationKind.EVENT_CHANGED
        return [Draft(int(v), kind, message, event.id) for v in payload.get("volunteer_ids", [])]
    if row.kind == "SIGNUP_CANCELLED":
        return await _removed_from_shift(payload)
    if row.kind in ("TEAM_MEMBER_REMOVED", "TEAM_JOIN_APPROVED"):
        team = await Team.get_or_none(id=payload.get("team_id"))
        if team is None or payload.get("volunteer_id") is None:
            return []
        message = (
            N_("You are no longer a member of %(team)s.", team=team.name)
            if row.kind == "TEAM_MEMBER_REMOVED"
            else N_("You are now a member of %(team)s.", team=team.name)
        )
        return [Draft(int(payload["volunteer_id"]), NotificationKind.EVENT_CHANGED, message, None)]
    return []


async def _removed_from_shift(payload: dict[str, Any]) -> list[Draft]:
    """A leader took someone off a shift: they are told (their own cancellation is not news
    to them)."""
    volunteer_id, by = payload.get("volunteer_id"), payload.get("by_volunteer_id")
    if volunteer_id is None or by is None or by == volunteer_id:
        return []
    shift = await Shift.get_or_none(id=payload.get("shift_id")).select_related("event")
    if shift is None:
        return []
    message = N_(
        "An organizer removed you from %(title)s (%(role)s, %(when)s).",
        title=shift.event.title,
        role=shift.role,
        when=shift.starts_at,
    )
    return [Draft(int(volunteer_id), NotificationKind.EVENT_CHANGED, message, shift.event_id)]


async def _claim(row: DomainEvent, now: datetime) -> bool:
    stale = now - CLAIM_TIMEOUT
    claimed = await DomainEvent.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
        id=row.id,
        processed_at__isnull=True,
    ).update(claimed_at=now)
    return claimed == 1


async def dispatch_pending(limit: int = BATCH) -> int:
    """Turns unprocessed outbox rows into notifications; returns how many were created."""
    now = clock.now()
    rows = (
        await DomainEvent.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
            processed_at__isnull=True,
        )
        .order_by("id")
        .limit(limit)
    )
    made = 0
    for row in rows:
        if not await _claim(row, now):
            continue  # another worker has it
        made += await create(f"event:{row.id}", await drafts_for(row), source_event_id=row.id)
        await webhooks.fan_out(row)  # third parties' messages from the same row
        await DomainEvent.filter(id=row.id).update(processed_at=clock.now())
    return made


async def mark_read(actor: Actor, ids: list[int] | None, everything: bool) -> int:
    """Marks the actor's notifications read (the given ids, or all); returns how many."""
    volunteer = actor.require_volunteer()
    v = Validator()
    v.check(bool(ids) or everything, N_("Give the ids to mark read, or all: true."), "ids")
    v.check(len(ids or []) <= MAX_IDS, N_("At most %(n)s ids at once.", n=MAX_IDS), "ids")
    v.raise_if_any()
    query = Notification.filter(volunteer_id=volunteer.id, read_at__isnull=True)
    if not everything:
        query = query.filter(id__in=ids or [])
    return await query.update(read_at=clock.now())


def listing(actor: Actor, volunteer_id: int, unread_only: bool) -> tuple[str, list[Any]] | None:
    """A volunteer's notifications, for that volunteer only (None for anyone else): an SQL
    condition on the table `"notification"` and its values (read with `api.infra.rows`)."""
    if actor.id is None or actor.id != volunteer_id:
        return None
    condition = '"notification"."volunteer_id" = ?'
    if unread_only:
        condition += ' AND "notification"."read_at" IS NULL'
    return condition, [volunteer_id]


async def unread_count(volunteer_id: int) -> int:
    return await Notification.filter(volunteer_id=volunteer_id, read_at__isnull=True).count()


async def unread_count_seen_by(
    actor: Actor,
    volunteer_id: int | None,
    count: Callable[[int], Awaitable[int]] = unread_count,
) -> int:
    """A volunteer's unread notifications, for that volunteer only (0 for anyone else).
    `count` counts them (`unread_count`, or a loader that batches it with other figures)."""
    if actor.id is None or actor.id != volunteer_id:
        return 0
    return await count(actor.id)
