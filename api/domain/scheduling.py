"""Changing planned events: duplicating, editing (one occurrence or the rest of its series),
moving shifts, and cancelling the rest of a series.

A change of time or place of a published event is recorded in the outbox as
``EVENT_CHANGED`` with everyone signed up (confirmed or waitlisted), so each of them is told
exactly once. Capacity changes go through `signups.change_capacity` (promotion when raised,
refusal below the confirmed count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.transactions import in_transaction

from api.domain import events, outbox, signups
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.events import EventDraft, ShiftDraft
from api.domain.locks import lock_event, lock_shift
from api.domain.recurrence import local_wall_clock, moved_draft, shift_wall_clock
from api.infra.i18n import N_
from api.models import (
    Community,
    Event,
    EventKind,
    EventStatus,
    ReminderDispatch,
    Shift,
    Signup,
    SignupStatus,
)

EDITABLE = (EventStatus.DRAFT, EventStatus.PUBLISHED)


class Scope(StrEnum):
    THIS = "THIS"  # only this event
    FOLLOWING = "FOLLOWING"  # this event and the later ones of its series


@dataclass
class EventChanges:
    """Fields to change; `None` leaves a field as it is. Moving `starts_at` moves the shifts
    by the same offset; `ends_at` defaults to the old end moved by that offset."""

    title: str | None = None
    kind: EventKind | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location_name: str | None = None
    location_address: str | None = None
    community_id: int | None = None


async def _draft_of(event: Event) -> EventDraft:
    draft, _ = await _draft_and_shifts(event)
    return draft


async def _draft_and_shifts(event: Event) -> tuple[EventDraft, list[Shift]]:
    """The event as a draft, and its shifts in the draft's order (one read: the same shifts)."""
    shifts = await Shift.filter(event_id=event.id).order_by("starts_at", "id")
    draft = EventDraft(
        team_id=event.team_id,
        title=event.title,
        kind=event.kind,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        description=event.description,
        location_name=event.location_name,
        location_address=event.location_address,
        community_id=event.community_id,
        shifts=[ShiftDraft(s.role, s.starts_at, s.ends_at, s.capacity) for s in shifts],
    )
    return draft, list(shifts)


async def duplicate_event(
    actor: Actor, event_id: int, starts_at: datetime, *, publish: bool = False
) -> Event:
    """A copy of the event starting at `starts_at`, with its shifts moved by the same offset
    (wall-clock time in Asia/Shanghai). The copy is a draft unless `publish`."""
    source = await events.get_event_for_organizer(actor, event_id)
    v = Validator()
    v.check(
        starts_at.tzinfo is not None and starts_at.utcoffset() is not None,
        N_("Times need a UTC offset, e.g. 2026-12-05T09:00:00+08:00."),
        "startsAt",
    )
    v.raise_if_any()
    draft = await _draft_of(source)
    copy = moved_draft(draft, local_wall_clock(starts_at) - local_wall_clock(source.starts_at))
    copy.publish = publish
    return await events.create_event(actor, copy)


async def _signed_up(event_ids: list[int]) -> list[int]:
    ids = await Signup.filter(
        shift__event_id__in=event_ids,
        status__in=[SignupStatus.CONFIRMED, SignupStatus.WAITLISTED],
    ).values_list("volunteer_id", flat=True)
    return sorted({int(i) for i in ids})  # type: ignore[call-overload]


async def _events_in_scope(event: Event, scope: Scope) -> list[Event]:
    if scope == Scope.THIS or event.series_id is None:
        return [event]
    return (
        await Event.filter(
            series_id=event.series_id, starts_at__gte=event.starts_at, status__in=EDITABLE
        )
        .order_by("starts_at", "id")
        .all()
    )


def _what_changed(before: Event, after: EventDraft) -> list[str]:
    changed = []
    if before.starts_at != after.starts_at or before.ends_at != after.ends_at:
        changed.append("time")
    if (before.location_name, before.location_address) != (
        after.location_name,
        after.location_address,
    ):
        changed.append("place")
    return changed


def _details_changed(before: Event, after: EventDraft) -> list[str]:
    """What else changed that those signed up are not told about (webhooks are)."""
    pairs = {
        "title": (before.title, after.title),
        "kind": (before.kind, after.kind),
        "description": (before.description, after.description),
        "community": (before.community_id, after.community_id),
    }
    return [name for name, (old, new) in pairs.items() if old != new]


def _apply(draft: EventDraft, changes: EventChanges, offset: timedelta) -> EventDraft:
    """The event's draft with `changes` applied; times moved by `offset` (wall clock)."""
    moved = moved_draft(draft, offset) if offset else draft
    if changes.ends_at is not None and changes.starts_at is not None:
        # Only the event given explicitly takes this end; others keep their length.
        moved.ends_at = moved.starts_at + (changes.ends_at - changes.starts_at)
    for name in ("title", "kind", "description", "location_name", "location_address"):
        value = getattr(changes, name)
        if value is not None:
            setattr(moved, name, value)
    if changes.community_id is not None:
        moved.community_id = changes.community_id
    return moved


async def update_event(
    actor: Actor, event_id: int, changes: EventChanges, scope: Scope = Scope.THIS
) -> Event:
    """Edits the event (or it and the later events of its series). Those signed up are told
    when the time or place of a published event changes."""
    event = await events.get_event_for_organizer(actor, event_id)
    if event.status not in EDITABLE:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("A cancelled or completed event cannot be edited."),
            ["eventId"],
        )
    if changes.ends_at is not None and changes.starts_at is None:
        changes.starts_at = event.starts_at
    offset = timedelta(0)
    if changes.starts_at is not None:
        v = Validator()
        events.check_times(
            v, changes.starts_at, changes.ends_at or changes.starts_at + timedelta(seconds=1)
        )
        v.raise_if_any()
        offset = local_wall_clock(changes.starts_at) - local_wall_clock(event.starts_at)
    if changes.community_id is not None and not await Community.exists(id=changes.community_id):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such community."), ["communityId"])
    targets = await _events_in_scope(event, scope)
    async with in_transaction():
        # Each event's row before its shifts (the order `planning` adds and removes shifts
        # in): the shifts read here are the ones moved, none added or removed in between.
        plans: list[tuple[Event, EventDraft, list[Shift]]] = []
        for target in targets:
            if not await lock_event(target.id):
                continue
            draft, shifts = await _draft_and_shifts(target)
            explicit = changes if target.id == event.id else _without_end(changes)
            new = _apply(draft, explicit, offset)
            new.shifts = _fit_shifts(new, shift_wall_clock(draft.ends_at, offset))
            events.validate_draft(new)
            plans.append((target, new, shifts))
        for target, new, shifts in plans:
            changed = _what_changed(target, new)
            # Only if nobody cancelled it meanwhile (the status read above is checked again).
            still = await Event.filter(id=target.id, status=target.status).update(
                title=new.title,
                kind=new.kind,
                description=new.description,
                starts_at=new.starts_at.astimezone(UTC),
                ends_at=new.ends_at.astimezone(UTC),
                location_name=new.location_name,
                location_address=new.location_address,
                community_id=new.community_id,
            )
            if not still:
                continue
            for shift, moved in zip(shifts, new.shifts, strict=True):
                if (shift.starts_at, shift.ends_at) != (moved.starts_at, moved.ends_at):
                    await Shift.filter(id=shift.id).update(
                        starts_at=moved.starts_at, ends_at=moved.ends_at
                    )
                if shift.starts_at != moved.starts_at:
                    # Reminders are due again relative to the new start.
                    await ReminderDispatch.filter(shift_id=shift.id).delete()
            if target.status == EventStatus.PUBLISHED:
                details = _details_changed(target, new)
                if changed:
                    await _record_change(target.id, changed + details)
                elif details:  # nobody is told; third parties' webhooks hear of it
                    await outbox.record(
                        "EVENT_CHANGED", event_id=target.id, changed=details, volunteer_ids=[]
                    )
    return await events.reread(event.id)


def _without_end(changes: EventChanges) -> EventChanges:
    return EventChanges(**{**changes.__dict__, "ends_at": None})


def _fit_shifts(draft: EventDraft, moved_end: datetime) -> list[ShiftDraft]:
    """Shifts that used to end with the event keep ending with it when its end moves
    (`moved_end`: the old end moved with the event); others end by the new end at the latest."""
    fitted = []
    for s in draft.shifts:
        if s.ends_at == moved_end and s.starts_at < draft.ends_at:
            ends_at = draft.ends_at
        elif s.starts_at < draft.ends_at:
            ends_at = min(s.ends_at, draft.ends_at)
        else:
            ends_at = s.ends_at
        fitted.append(ShiftDraft(s.role, s.starts_at, ends_at, s.capacity))
    return fitted


async def _record_change(event_id: int, changed: list[str]) -> None:
    """Those signed up are told; third parties' webhooks hear of it even when nobody is."""
    recipients = await _signed_up([event_id])
    await outbox.record(
        "EVENT_CHANGED", event_id=event_id, changed=changed, volunteer_ids=recipients
    )


async def update_shift(
    actor: Actor,
    shift_id: int,
    *,
    role: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    capacity: int | None = None,
) -> Shift:
    """Edits one shift. Capacity goes through the sign-up rules; a new time must lie within
    the event and tells those signed up."""
    shift = await Shift.get_or_none(id=shift_id).select_related("event")
    if shift is None or not await actor.may_see_event(shift.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
    event = await events.get_event_for_organizer(actor, shift.event_id)
    if event.status not in EDITABLE:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("A cancelled or completed event cannot be edited."),
            ["shiftId"],
        )
    v = Validator()
    new_role = (
        v.text(role, "role", max_length=100, label=N_("The role")) if role is not None else None
    )
    new_start, new_end = starts_at or shift.starts_at, ends_at or shift.ends_at
    if events.check_times(v, new_start, new_end):
        v.check(
            event.starts_at <= new_start and new_end <= event.ends_at,
            N_("A shift must lie within its event's times."),
            "startsAt",
        )
    if capacity is not None:
        events.check_capacity(v, capacity)
    v.raise_if_any()
    if capacity is not None and capacity != shift.capacity:
        await signups.change_capacity(actor, shift_id, capacity)
    # Written in UTC: `update()` stores an offset as given, and SQLite compares text.
    new_start, new_end = new_start.astimezone(UTC), new_end.astimezone(UTC)
    moved = (new_start, new_end) != (shift.starts_at, shift.ends_at)
    async with in_transaction():
        if await lock_shift(shift_id) is None:  # removed meanwhile
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
        updates: dict[str, object] = {}
        if new_role is not None:
            updates["role"] = new_role
        if moved:
            updates.update(starts_at=new_start, ends_at=new_end)
            await ReminderDispatch.filter(shift_id=shift_id).delete()
        if updates:
            await Shift.filter(id=shift_id).update(**updates)
        if moved and event.status == EventStatus.PUBLISHED:
            await _record_change(event.id, ["time"])
        elif new_role is not None and new_role != shift.role:
            if event.status == EventStatus.PUBLISHED:  # nobody is told; webhooks hear of it
                await outbox.record(
                    "EVENT_CHANGED", event_id=event.id, changed=["shifts"], volunteer_ids=[]
                )
        return await Shift.get(id=shift_id)


async def cancel_following(actor: Actor, event_id: int, reason: str) -> list[Event]:
    """Cancels this event and every later event of its series (each tells its sign-ups),
    all or nothing."""
    reason = events.validate_reason(reason)
    event = await events.get_event_for_organizer(actor, event_id)
    targets = await _events_in_scope(event, Scope.FOLLOWING)
    if event not in targets:
        targets.insert(0, event)
    async with in_transaction():
        for target in targets:
            await events.cancel_in_transaction(target, reason)
    return await events.reread_all([target.id for target in targets])


__all__ = [
    "EventChanges",
    "Scope",
    "cancel_following",
    "duplicate_event",
    "shift_wall_clock",
    "update_event",
    "update_shift",
]
