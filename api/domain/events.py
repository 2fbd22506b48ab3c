"""Events and their shifts: creating, publishing, cancelling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from api.domain import outbox
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.locks import lock_slots_of_event
from api.infra import clock
from api.infra.i18n import N_
from api.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    Community,
    Event,
    EventKind,
    EventStatus,
    Shift,
    Signup,
    SignupStatus,
    Team,
)

CAPACITY_MIN, CAPACITY_MAX = 1, 10_000
MAX_SHIFTS = 50
MAX_EVENT_LENGTH = timedelta(days=14)


@dataclass
class ShiftDraft:
    role: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass
class EventDraft:
    team_id: int
    title: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location_name: str | None = None
    location_address: str | None = None
    community_id: int | None = None
    shifts: list[ShiftDraft] = field(default_factory=list)
    publish: bool = False


def check_times(v: Validator, starts_at: datetime, ends_at: datetime, *field: str) -> bool:
    ok = True
    for name, value in (("startsAt", starts_at), ("endsAt", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            v.fail(N_("Times need a UTC offset, e.g. 2026-12-05T09:00:00+08:00."), *field, name)
            ok = False
    if ok and ends_at <= starts_at:
        v.fail(N_("The end must be after the start."), *field, "endsAt")
        ok = False
    if ok and ends_at - starts_at > MAX_EVENT_LENGTH:
        v.fail(N_("An event or shift may last at most 14 days."), *field, "endsAt")
        ok = False
    return ok


def check_capacity(v: Validator, capacity: int, *field: str) -> None:
    v.check(
        CAPACITY_MIN <= capacity <= CAPACITY_MAX,
        N_("Capacity must be between %(min)s and %(max)s.", min=CAPACITY_MIN, max=CAPACITY_MAX),
        *field,
        "capacity",
    )


def validate_draft(draft: EventDraft) -> None:
    v = Validator()
    draft.title = v.text(draft.title, "title", max_length=200, label=N_("The title")) or ""
    draft.description = (
        v.text(
            draft.description,
            "description",
            max_length=5000,
            required=False,
            label=N_("The description"),
        )
        or ""
    )
    draft.location_name = v.text(
        draft.location_name,
        "location",
        "name",
        max_length=200,
        required=False,
        label=N_("The place"),
    )
    draft.location_address = v.text(
        draft.location_address,
        "location",
        "address",
        max_length=300,
        required=False,
        label=N_("The address"),
    )
    times_ok = check_times(v, draft.starts_at, draft.ends_at)
    if not draft.shifts:
        v.fail(N_("Add at least one shift."), "shifts")
    v.check(len(draft.shifts) <= MAX_SHIFTS, N_("At most %(n)s shifts.", n=MAX_SHIFTS), "shifts")
    for i, shift in enumerate(draft.shifts[:MAX_SHIFTS]):
        where = ("shifts", str(i))
        shift.role = v.text(shift.role, *where, "role", max_length=100, label=N_("The role")) or ""
        check_capacity(v, shift.capacity, *where)
        if check_times(v, shift.starts_at, shift.ends_at, *where) and times_ok:
            v.check(
                draft.starts_at <= shift.starts_at and shift.ends_at <= draft.ends_at,
                N_("A shift must lie within its event's times."),
                *where,
                "startsAt",
            )
    v.raise_if_any()
    draft.starts_at, draft.ends_at = clock.utc(draft.starts_at), clock.utc(draft.ends_at)
    for shift in draft.shifts:
        shift.starts_at, shift.ends_at = clock.utc(shift.starts_at), clock.utc(shift.ends_at)


async def create_event(actor: Actor, draft: EventDraft, *, series_id: int | None = None) -> Event:
    actor.require_volunteer()
    if not await Team.exists(id=draft.team_id):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such team."), ["teamId"])
    await actor.require_leader(draft.team_id)
    validate_draft(draft)
    if draft.community_id is not None and not await Community.exists(id=draft.community_id):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such community."), ["communityId"])
    async with in_transaction():
        return await insert_event(draft, series_id=series_id)


async def insert_event(draft: EventDraft, *, series_id: int | None = None) -> Event:
    """Writes a validated draft (inside the caller's transaction)."""
    event = await Event.create(
        team_id=draft.team_id,
        title=draft.title,
        kind=draft.kind,
        status=EventStatus.PUBLISHED if draft.publish else EventStatus.DRAFT,
        description=draft.description,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        location_name=draft.location_name,
        location_address=draft.location_address,
        community_id=draft.community_id,
        series_id=series_id,
    )
    await Shift.bulk_create(
        [
            Shift(
                event_id=event.id,
                role=s.role,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
            )
            for s in draft.shifts
        ]
    )
    if draft.publish:
        await outbox.record("EVENT_PUBLISHED", event_id=event.id)
    return event


async def reread(event_id: int) -> Event:
    """The event as it is after a change; NOT_FOUND when it was deleted meanwhile (the
    operator's cleanup of a draft, say)."""
    return (await reread_all([event_id]))[0]


async def reread_all(event_ids: list[int]) -> list[Event]:
    """`reread` for several events, in the order given, with one statement."""
    found = {e.id: e for e in await Event.filter(id__in=event_ids)}
    if any(i not in found for i in event_ids):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such event."), ["eventId"])
    return [found[i] for i in event_ids]


async def get_event_for_organizer(actor: Actor, event_id: int) -> Event:
    actor.require_volunteer()
    event = await Event.get_or_none(id=event_id)
    if event is None or not await actor.may_see_event(event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such event."), ["eventId"])
    await actor.require_leader(event.team_id)
    return event


async def publish_event(actor: Actor, event_id: int) -> Event:
    event = await get_event_for_organizer(actor, event_id)
    if event.status == EventStatus.PUBLISHED:
        return event
    if event.status != EventStatus.DRAFT:
        raise DomainError(
            ErrorCode.INVALID_STATE, N_("Only a draft can be published."), ["eventId"]
        )
    if event.cancel_reason is not None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("This draft was cancelled; it cannot be published."),
            ["eventId"],
        )
    if event.ends_at <= clock.now():
        raise DomainError(ErrorCode.INVALID_STATE, N_("This event is already over."), ["eventId"])
    async with in_transaction():
        if await Event.filter(id=event.id, status=EventStatus.DRAFT).update(
            status=EventStatus.PUBLISHED
        ):
            await outbox.record("EVENT_PUBLISHED", event_id=event.id)
    return await reread(event.id)


def validate_reason(reason: str) -> str:
    v = Validator()
    reason = v.text(reason, "reason", max_length=500, label=N_("The reason")) or ""
    v.raise_if_any()
    return reason


async def cancel_event(actor: Actor, event_id: int, reason: str) -> Event:
    reason = validate_reason(reason)
    event = await get_event_for_organizer(actor, event_id)
    if event.status == EventStatus.COMPLETED:
        raise DomainError(ErrorCode.INVALID_STATE, N_("A completed event cannot be cancelled."))
    async with in_transaction():
        await cancel_in_transaction(event, reason)
    return await reread(event.id)


async def cancel_in_transaction(event: Event, reason: str) -> None:
    """Cancels the event and its sign-ups and records it (inside the caller's transaction).
    Cancelled or completed events, also when changed meanwhile, are left as they are.

    A draft that was never published stays a draft, with its `cancel_reason` set: a
    cancelled draft is as private as any draft (never listed, never in a feed, never found by
    id outside its team's leaders) and can no longer be published. Only a published event
    becomes CANCELLED, publicly."""
    now = clock.now()
    withdrawn = await Event.filter(id=event.id, status=EventStatus.DRAFT).update(
        cancel_reason=reason
    )
    if withdrawn:
        return  # a draft has no sign-ups and no one to tell
    updated = await Event.filter(id=event.id, status=EventStatus.PUBLISHED).update(
        status=EventStatus.CANCELLED, cancel_reason=reason
    )
    if not updated:
        return
    shift_ids = await Shift.filter(event_id=event.id).values_list("id", flat=True)
    # The shift rows before the sign-ups (the order every sign-up change locks them in, so
    # none deadlocks with this): a sign-up that took its seat meanwhile has committed once
    # these are ours, and is cancelled with the rest below.
    await Shift.filter(id__in=shift_ids).update(seats_taken=0, waitlist_count=0)
    active = Signup.filter(
        shift_id__in=shift_ids, status__in=[SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
    )
    affected = await active.values_list("volunteer_id", flat=True)
    await active.update(status=SignupStatus.CANCELLED, cancelled_at=now, waitlist_ticket=None)
    residents = await cancel_appointments_in_transaction(event.id, now)
    await outbox.record(
        "EVENT_CANCELLED",
        event_id=event.id,
        reason=reason,
        volunteer_ids=sorted({int(str(i)) for i in affected} | residents),
    )


async def cancel_appointments_in_transaction(event_id: int, now: datetime) -> set[int]:
    """Cancels the event's booked appointments, freeing their places; answers the residents
    (with accounts) to tell."""
    # The slots' rows before the appointments' (the order a resident's cancellation and a
    # booking take them in; the other way round deadlocked with a cancellation on
    # PostgreSQL), in one order: a booking that took its place meanwhile has committed and
    # is cancelled with the rest, and one still to come sees the event cancelled.
    await lock_slots_of_event(event_id)
    booked = Appointment.filter(event_id=event_id, status=AppointmentStatus.BOOKED)
    rows = await booked.values_list("slot_id", "resident_id")
    if not rows:
        return set()
    await booked.update(status=AppointmentStatus.CANCELLED, cancelled_at=now)
    for slot_id in {slot_id for slot_id, _ in rows}:
        freed = sum(1 for s, _ in rows if s == slot_id)
        await AppointmentSlot.filter(id=slot_id).update(places_taken=F("places_taken") - freed)
    return {int(r) for _, r in rows if r is not None}
