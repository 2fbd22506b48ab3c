"""Planning an event after it was made: publishing a whole draft series (or the rest of it),
adding a shift, removing one.

- `publish_series` opens the drafts of the scope for sign-ups at once: THIS (the event),
  FOLLOWING (it and the later events of its series) or ALL (every event of its series).
  Drafts that are already over stay drafts, and so do cancelled drafts (a draft cancelled
  keeps its status with a `cancel_reason`); published, cancelled or completed events are never
  touched. It answers the events now published.
- `add_shift` adds a role to a draft or published event; it must lie within the event's times,
  and an event has at most `events.MAX_SHIFTS` shifts.
- `remove_shift` deletes a shift of a draft or published event. Its active sign-ups
  (confirmed or waitlisted) are cancelled first and told through the outbox (``SHIFT_REMOVED``,
  one notice each, like an event's cancellation). A shift whose attendance or hours were
  recorded is part of the record and cannot be removed, and an event keeps at least one shift
  (cancel the event instead).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from tortoise.transactions import in_transaction

from api.domain import events, outbox
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.locks import lock_event, lock_shift
from api.infra import clock
from api.infra.i18n import N_
from api.models import Event, EventStatus, HoursEntry, Shift, Signup, SignupStatus

EDITABLE = (EventStatus.DRAFT, EventStatus.PUBLISHED)


class PublishScope(StrEnum):
    THIS = "THIS"  # only this event
    FOLLOWING = "FOLLOWING"  # this event and the later ones of its series
    ALL = "ALL"  # every event of its series


async def publish_series(actor: Actor, event_id: int, scope: PublishScope) -> list[Event]:
    """Publishes the drafts of the scope that have not ended; answers those now published
    (oldest first). Publishing only this event refuses one that is over or not a draft, as
    `publishEvent` does."""
    event = await events.get_event_for_organizer(actor, event_id)
    if scope == PublishScope.THIS or event.series_id is None:
        if event.status == EventStatus.PUBLISHED:
            return []
        return [await events.publish_event(actor, event_id)]
    query = Event.filter(series_id=event.series_id)
    if scope == PublishScope.FOLLOWING:
        query = query.filter(starts_at__gte=event.starts_at)
    drafts = (
        await query.filter(
            status=EventStatus.DRAFT, cancel_reason__isnull=True, ends_at__gt=clock.now()
        )
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )
    ids = [int(str(i)) for i in drafts]
    async with in_transaction():
        for event_id in ids:
            # Only drafts: one cancelled meanwhile stays cancelled.
            if await Event.filter(
                id=event_id, status=EventStatus.DRAFT, cancel_reason__isnull=True
            ).update(status=EventStatus.PUBLISHED):
                await outbox.record("EVENT_PUBLISHED", event_id=event_id)
    return await Event.filter(id__in=ids, status=EventStatus.PUBLISHED).order_by("starts_at", "id")


async def _editable_event(actor: Actor, event_id: int, field: str) -> Event:
    event = await events.get_event_for_organizer(actor, event_id)
    _ensure_editable(event, field)
    return event


async def _lock_editable(event: Event, field: str) -> Event:
    """Inside a transaction: locks the event's row and reads it again; one cancelled or
    completed meanwhile is not edited."""
    await lock_event(event.id)
    current = await events.reread(event.id)
    _ensure_editable(current, field)
    return current


def _ensure_editable(event: Event, field: str) -> None:
    if event.status not in EDITABLE or event.cancel_reason is not None:
        raise DomainError(
            ErrorCode.INVALID_STATE, N_("A cancelled or completed event cannot be edited."), [field]
        )


async def add_shift(
    actor: Actor, event_id: int, role: str, starts_at: datetime, ends_at: datetime, capacity: int
) -> Shift:
    """A new shift on a draft or published event (within its times)."""
    event = await _editable_event(actor, event_id, "eventId")
    v = Validator()
    clean_role = v.text(role, "role", max_length=100, label=N_("The role")) or ""
    events.check_capacity(v, capacity)
    if events.check_times(v, starts_at, ends_at):
        v.check(
            event.starts_at <= starts_at and ends_at <= event.ends_at,
            N_("A shift must lie within its event's times."),
            "startsAt",
        )
    v.raise_if_any()
    async with in_transaction():
        # The event's row first: shifts added or removed at once are counted one after the
        # other, and an edit moving the event's shifts moves this one too.
        event = await _lock_editable(event, "eventId")
        if await Shift.filter(event_id=event.id).count() >= events.MAX_SHIFTS:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                N_("At most %(n)s shifts.", n=events.MAX_SHIFTS),
                ["shifts"],
            )
        shift = await Shift.create(
            event_id=event.id,
            role=clean_role,
            starts_at=starts_at.astimezone(UTC),
            ends_at=ends_at.astimezone(UTC),
            capacity=capacity,
        )
        if event.status == EventStatus.PUBLISHED:
            await outbox.record("SHIFT_ADDED", event_id=event.id, shift_id=shift.id)
        return shift


async def remove_shift(actor: Actor, shift_id: int) -> Event:
    """Removes a shift; its confirmed and waitlisted volunteers are told. Answers the event."""
    actor.require_volunteer()
    shift = await Shift.get_or_none(id=shift_id).select_related("event")
    if shift is None or not await actor.may_see_event(shift.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
    event = await _editable_event(actor, shift.event_id, "shiftId")
    async with in_transaction():
        # The event's row, then the shift's (the order sign-ups take theirs in): two shifts
        # removed at once cannot each count the other as remaining.
        event = await _lock_editable(event, "shiftId")
        locked = await lock_shift(shift.id)
        if locked is None:
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
        if await Shift.filter(event_id=event.id).count() <= 1:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                N_("An event keeps at least one shift; cancel the event instead."),
                ["shiftId"],
            )
        recorded = (
            await Signup.filter(
                shift_id=shift.id, status__in=[SignupStatus.ATTENDED, SignupStatus.NO_SHOW]
            ).exists()
            or await HoursEntry.filter(signup__shift_id=shift.id).exists()
        )
        if recorded:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                N_("Attendance was recorded for this shift; it cannot be removed."),
                ["shiftId"],
            )
        affected = await Signup.filter(
            shift_id=shift.id, status__in=[SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
        ).values_list("volunteer_id", flat=True)
        recipients = sorted({int(str(i)) for i in affected})
        if recipients or event.status == EventStatus.PUBLISHED:  # told, and third parties
            await outbox.record(
                "SHIFT_REMOVED",
                event_id=event.id,
                role=shift.role,
                starts_at=shift.starts_at.astimezone(UTC).isoformat(),
                volunteer_ids=recipients,
            )
        await Shift.filter(id=shift.id).delete()  # its (cancelled) sign-ups go with it
    return await events.reread(event.id)
