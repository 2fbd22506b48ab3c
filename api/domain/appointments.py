"""Residents' appointments: the services volunteers give (义剪, 义诊, 义修, 法律咨询) booked
in slots, with the same guarantees as sign-ups.

* Leaders of the event's team (and admins) define the slots (`set_slots`): a time range cut
  into slots of so many minutes, so many places each. Slots that hold bookings are kept; the
  others are replaced.
* A resident (any logged-in account) books a slot (`book`); a leader books for a neighbour
  without a phone (`book_for_resident`: name, compound and building, phone optional), as a
  home visit (上门服务) with an address where the event's kind allows it.
* Capacity: one conditional update of the slot's counter
  (``places_taken = places_taken + 1 WHERE places_taken < capacity``) inside a short
  transaction, with the CHECK constraint ``places_taken <= capacity`` behind it. A slot never
  overbooks on SQLite or PostgreSQL.
* Idempotency: one booking per (booker, idempotency key), unique in the database; a replay
  answers the original booking.
* A resident never holds two overlapping appointments, nor two at one event: the booker's row
  is locked after the slot's (one order everywhere: slot, then volunteer, as sign-ups take
  shift, then volunteer) and the check runs inside the transaction.
* Privacy: who booked (names, phones, addresses) only to the resident, the event's leaders and
  admins (`may_see_details`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.domain import notifications, signups
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.events import check_times, get_event_for_organizer
from api.domain.locks import lock_event, lock_slot, lock_volunteer
from api.infra import clock
from api.infra.i18n import N_
from api.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    Community,
    CommunityLevel,
    Event,
    EventKind,
    EventStatus,
    Notification,
    NotificationKind,
)
from api.settings import get_settings

MAX_SLOTS = 200
PLACES_MAX = 100
MINUTES_MIN, MINUTES_MAX = 5, 8 * 60
NOTE_MAX = 200
#: The services a volunteer may bring to a resident's home (上门服务).
HOME_VISIT_KINDS = frozenset(
    {EventKind.HAIRCUT, EventKind.CLINIC, EventKind.REPAIR, EventKind.LEGAL_AID}
)
HOLDING = (AppointmentStatus.BOOKED, AppointmentStatus.SERVED)


@dataclass
class SlotPlan:
    starts_at: datetime
    ends_at: datetime
    minutes_each: int
    places: int


@dataclass
class Neighbour:
    """A resident without a phone (or without an account), booked by a leader."""

    name: str
    compound_id: int | None = None
    building: str | None = None
    phone: str | None = None
    home_visit: bool = False
    address: str | None = None


def offers_home_visits(kind: EventKind | str) -> bool:
    return kind in HOME_VISIT_KINDS


# Slots ---------------------------------------------------------------------------------


def plan_slots(plan: SlotPlan) -> list[tuple[datetime, datetime]]:
    """The slots of a plan (validated): consecutive, `minutes_each` long, within the range."""
    v = Validator()
    times_ok = check_times(v, plan.starts_at, plan.ends_at)
    v.check(
        MINUTES_MIN <= plan.minutes_each <= MINUTES_MAX,
        N_("Each slot lasts %(min)s–%(max)s minutes.", min=MINUTES_MIN, max=MINUTES_MAX),
        "minutesEach",
    )
    v.check(1 <= plan.places <= PLACES_MAX, N_("Places must be 1–%(n)s.", n=PLACES_MAX), "places")
    v.raise_if_any()
    assert times_ok
    step = timedelta(minutes=plan.minutes_each)
    starts, ends = clock.utc(plan.starts_at), clock.utc(plan.ends_at)
    count = int((ends - starts) / step)
    v.check(count >= 1, N_("The range is shorter than one slot."), "endsAt")
    v.check(count <= MAX_SLOTS, N_("At most %(n)s slots per event.", n=MAX_SLOTS), "minutesEach")
    v.raise_if_any()
    return [(starts + i * step, starts + (i + 1) * step) for i in range(count)]


async def set_slots(actor: Actor, event_id: int, plan: SlotPlan) -> Event:
    """Replaces the event's slots that hold no bookings with the plan's; slots with bookings
    stay, and a planned slot overlapping one of them is left out. Leaders and admins."""
    event = await get_event_for_organizer(actor, event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This event is closed."), ["eventId"])
    wanted = plan_slots(plan)
    v = Validator()
    v.check(
        event.starts_at <= wanted[0][0] and wanted[-1][1] <= event.ends_at,
        N_("Slots must lie within the event's times."),
        "startsAt",
    )
    v.raise_if_any()
    async with in_transaction():
        # The event's row first: two leaders replacing slots at once queue here. Not a full
        # FOR UPDATE: a booking holding a slot's row writes its appointment (which refers to
        # the event) meanwhile, instead of waiting for us while we wait for its slot.
        await lock_event(event.id)
        existing = await AppointmentSlot.filter(event_id=event.id).select_for_update()
        kept = [s for s in existing if s.places_taken > 0]
        await AppointmentSlot.filter(
            id__in=[s.id for s in existing if s.places_taken == 0]
        ).delete()
        total = len(kept)
        new = []
        for starts, ends in wanted:
            if any(k.starts_at < ends and starts < k.ends_at for k in kept):
                continue
            total += 1
            new.append(
                AppointmentSlot(
                    event_id=event.id, starts_at=starts, ends_at=ends, capacity=plan.places
                )
            )
        if total > MAX_SLOTS:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                N_("At most %(n)s slots per event.", n=MAX_SLOTS),
                ["minutesEach"],
            )
        await AppointmentSlot.bulk_create(new)
    return event


def slots_of(event_id: int) -> QuerySet[AppointmentSlot]:
    return AppointmentSlot.filter(event_id=event_id).order_by("starts_at", "id")


async def slots_of_events(event_ids: list[int]) -> dict[int, list[AppointmentSlot]]:
    grouped: dict[int, list[AppointmentSlot]] = {i: [] for i in event_ids}
    for slot in await AppointmentSlot.filter(event_id__in=event_ids).order_by("starts_at", "id"):
        grouped[slot.event_id].append(slot)
    return grouped


def accepts_bookings(slot: AppointmentSlot, event: Event, *, by_leader: bool = False) -> bool:
    """Residents book until the slot starts; leaders (walk-ins on site) until it ends."""
    now = clock.now()
    return event.status == EventStatus.PUBLISHED and (
        slot.ends_at > now if by_leader else slot.starts_at > now
    )


# Booking -------------------------------------------------------------------------------


class _Replayed(Exception):
    def __init__(self, appointment: Appointment) -> None:
        self.appointment = appointment


async def _replay(booker_id: int, slot_id: int, key: str) -> Appointment | None:
    previous = await Appointment.get_or_none(booked_by_id=booker_id, idempotency_key=key)
    if previous is not None and previous.slot_id != slot_id:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_MISMATCH,
            N_("This idempotency key was already used for another slot."),
            ["idempotencyKey"],
        )
    return previous


async def _open_slot(slot_id: int, *, by_leader: bool) -> tuple[AppointmentSlot, Event]:
    slot = await AppointmentSlot.get_or_none(id=slot_id).select_related("event")
    if slot is None or slot.event.status == EventStatus.DRAFT:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such slot."), ["slotId"])
    if not accepts_bookings(slot, slot.event, by_leader=by_leader):
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This slot is not open for booking."))
    return slot, slot.event


async def _check_resident_free(resident_id: int, slot: AppointmentSlot) -> None:
    held = Appointment.filter(resident_id=resident_id, status=AppointmentStatus.BOOKED)
    if await held.filter(event_id=slot.event_id).exists():
        raise DomainError(
            ErrorCode.ALREADY_BOOKED, N_("You already have an appointment at this event.")
        )
    if await held.filter(
        slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at
    ).exists():
        raise DomainError(
            ErrorCode.SCHEDULE_CONFLICT, N_("You already have an appointment at this time.")
        )


async def _take_place(
    slot: AppointmentSlot, booker_id: int, key: str, fields: dict[str, Any]
) -> Appointment:
    try:
        async with in_transaction():
            taken = await AppointmentSlot.filter(id=slot.id, places_taken__lt=F("capacity")).update(
                places_taken=F("places_taken") + 1
            )
            # The booker's lock after the slot's (one order everywhere: no deadlock); a replay
            # that raced its original, or a second booking sent at once, is decided here.
            await lock_volunteer(booker_id)
            previous = await _replay(booker_id, slot.id, key)
            if previous is not None:
                raise _Replayed(previous)
            # The slot's row is ours: a cancellation of the event (which locks its slots
            # first) or a replacement of its slots has committed, and is seen here.
            await _ensure_still_open(slot.id)
            resident_id = fields.get("resident_id")
            if isinstance(resident_id, int):
                await _check_resident_free(resident_id, slot)
            if not taken:
                raise DomainError(ErrorCode.SLOT_FULL, N_("This slot is fully booked."), ["slotId"])
            return await Appointment.create(
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                event_id=slot.event_id,
                booked_by_id=booker_id,
                idempotency_key=key,
                status=AppointmentStatus.BOOKED,
                **fields,
            )
    except _Replayed as replayed:
        return replayed.appointment
    except IntegrityError:
        # The same key committed by a parallel request in between.
        previous = await _replay(booker_id, slot.id, key)
        if previous is not None:
            return previous
        raise


async def _ensure_still_open(slot_id: int) -> None:
    current = await AppointmentSlot.get_or_none(id=slot_id).select_related("event")
    if current is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such slot."), ["slotId"])
    if current.event.status != EventStatus.PUBLISHED:
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This slot is not open for booking."))


def _validate_note(v: Validator, note: str | None) -> str:
    return v.text(note, "note", max_length=NOTE_MAX, required=False, label=N_("The note")) or ""


async def book(
    actor: Actor, slot_id: int, idempotency_key: str, note: str | None = None
) -> Appointment:
    """A resident books a slot for themself."""
    resident = actor.require_volunteer()
    key = signups.validated_idempotency_key(idempotency_key)
    v = Validator()
    note = _validate_note(v, note)
    v.raise_if_any()
    replayed = await _replay(resident.id, slot_id, key)
    if replayed is not None:
        return replayed
    slot, _ = await _open_slot(slot_id, by_leader=False)
    return await _take_place(slot, resident.id, key, {"resident_id": resident.id, "note": note})


async def book_for_resident(
    actor: Actor, slot_id: int, idempotency_key: str, neighbour: Neighbour, note: str | None = None
) -> Appointment:
    """A leader of the event's team (or an admin) books for a neighbour without a phone,
    perhaps as a home visit (where the event's kind offers them)."""
    booker = actor.require_volunteer()
    key = signups.validated_idempotency_key(idempotency_key)
    v = Validator()
    name = v.text(neighbour.name, "name", max_length=50, label=N_("The name")) or ""
    building = v.text(
        neighbour.building, "building", max_length=50, required=False, label=N_("The building")
    )
    phone = (neighbour.phone or "").strip() or None
    v.check(
        phone is None or (phone.isdigit() and 5 <= len(phone) <= 20),
        N_("The phone number is 5–20 digits."),
        "phone",
    )
    address = v.text(
        neighbour.address, "address", max_length=300, required=False, label=N_("The address")
    )
    if neighbour.home_visit:
        v.check(bool(address), N_("A home visit needs the address."), "address")
    note = _validate_note(v, note)
    v.raise_if_any()
    replayed = await _replay(booker.id, slot_id, key)
    if replayed is not None:
        return replayed
    slot = await AppointmentSlot.get_or_none(id=slot_id).select_related("event")
    if slot is None or not await actor.may_see_event(slot.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such slot."), ["slotId"])
    await actor.require_leader(slot.event.team_id)
    slot, event = await _open_slot(slot_id, by_leader=True)
    if neighbour.home_visit and not offers_home_visits(event.kind):
        raise DomainError(
            ErrorCode.HOME_VISIT_NOT_OFFERED,
            N_("This service is not offered as a home visit."),
            ["homeVisit"],
        )
    if neighbour.compound_id is not None and not await Community.exists(
        id=neighbour.compound_id, level=CommunityLevel.COMPOUND
    ):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such compound."), ["compoundId"])
    return await _take_place(
        slot,
        booker.id,
        key,
        {
            "resident_id": None,
            "resident_name": name,
            "resident_phone": phone,
            "compound_id": neighbour.compound_id,
            "building": building,
            "home_visit": neighbour.home_visit,
            "address": address if neighbour.home_visit else None,
            "note": note,
        },
    )


# Cancelling and serving ----------------------------------------------------------------


async def _appointment_for(actor: Actor, appointment_id: int) -> tuple[Appointment, bool]:
    """An appointment the actor may change, and whether they lead its event's team."""
    actor.require_volunteer()
    appointment = await Appointment.get_or_none(id=appointment_id).select_related("slot", "event")
    if appointment is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such appointment."), ["appointmentId"])
    leads = await actor.leads(appointment.event.team_id)
    if not leads and appointment.resident_id != actor.id:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such appointment."), ["appointmentId"])
    return appointment, leads


async def cancel(actor: Actor, appointment_id: int) -> Appointment:
    """The resident (until the slot starts), the event's leaders or admins: frees the place."""
    appointment, leads = await _appointment_for(actor, appointment_id)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    if appointment.status != AppointmentStatus.BOOKED:
        raise DomainError(ErrorCode.INVALID_STATE, N_("This appointment has been served."))
    if not leads and appointment.slot.starts_at <= clock.now():
        raise DomainError(
            ErrorCode.CANCELLATION_CLOSED,
            N_("This slot has started; please tell the organizer."),
        )
    async with in_transaction():
        await lock_slot(appointment.slot_id)
        changed = await Appointment.filter(
            id=appointment.id, status=AppointmentStatus.BOOKED
        ).update(status=AppointmentStatus.CANCELLED, cancelled_at=clock.now())
        if changed:
            await AppointmentSlot.filter(id=appointment.slot_id).update(
                places_taken=F("places_taken") - 1
            )
        # Read under the slot's lock (once it is free, a replacement of the event's slots may
        # remove it, its cancelled appointments with it).
        return await Appointment.get(id=appointment.id)


async def mark_served(actor: Actor, appointment_id: int) -> Appointment:
    """On site, a tap: the resident was served (the event's leaders and admins)."""
    appointment, leads = await _appointment_for(actor, appointment_id)
    if not leads:
        raise DomainError(ErrorCode.FORBIDDEN, N_("Only this event's organizers may do this."))
    if appointment.status != AppointmentStatus.SERVED:
        async with in_transaction():
            # The slot's row first (as cancellations take it): an appointment cancelled
            # meanwhile, alone or with its event, is not marked (its place was given back).
            await lock_slot(appointment.slot_id)
            await Appointment.filter(id=appointment.id, status=AppointmentStatus.BOOKED).update(
                status=AppointmentStatus.SERVED, served_at=clock.now()
            )
            current = await Appointment.get_or_none(id=appointment.id)
            if current is None:  # cancelled, and its slot replaced since
                raise DomainError(
                    ErrorCode.NOT_FOUND, N_("No such appointment."), ["appointmentId"]
                )
            appointment = current
    if appointment.status != AppointmentStatus.SERVED:
        raise DomainError(ErrorCode.INVALID_STATE, N_("This appointment was cancelled."))
    return appointment


# Who sees what -------------------------------------------------------------------------


def reads_personal(actor: Actor) -> bool:
    """A session, or an API token with the READ_PERSONAL scope."""
    return actor.volunteer is not None and (actor.scopes is None or "READ_PERSONAL" in actor.scopes)


async def may_see_details(actor: Actor, appointment: Appointment, team_id: int | None) -> bool:
    """Names, phones, addresses and notes: the resident, the leaders of the event's team
    (`team_id`) and admins (an API token: with READ_PERSONAL)."""
    if not reads_personal(actor):
        return False
    if appointment.resident_id is not None and appointment.resident_id == actor.id:
        return True
    return team_id is not None and await actor.leads(team_id)


async def bookings_of_event(actor: Actor, event: Event) -> QuerySet[Appointment] | None:
    """The event's bookings in time order (leaders and admins; None for anyone else)."""
    if not reads_personal(actor) or not await actor.leads(event.team_id):
        return None
    return Appointment.filter(event_id=event.id, status__in=HOLDING)


def appointments_of(actor: Actor, volunteer_id: int) -> QuerySet[Appointment] | None:
    """A resident's own appointments (the resident only)."""
    if not reads_personal(actor) or actor.id != volunteer_id:
        return None
    return Appointment.filter(resident_id=volunteer_id)


async def appointments_at(resident_id: int, event_ids: list[int]) -> dict[int, Appointment]:
    """A resident's own appointment (booked or served) at each of these events, one query."""
    found: dict[int, Appointment] = {}
    rows = Appointment.filter(resident_id=resident_id, event_id__in=event_ids, status__in=HOLDING)
    for appointment in await rows.order_by("-starts_at"):
        found[appointment.event_id] = appointment  # the earliest wins
    return found


def resident_label(appointment: Appointment, display_name: str | None) -> str:
    return appointment.resident_name or display_name or ""


# Figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceCount:
    place: str  # the resident's compound, else the event's place; "" when neither is known
    count: int


async def served_counts(event_ids: Any) -> list[tuple[str, str, int]]:
    """Residents served at the given events (a subquery of ids): (kind, place, count) rows,
    counted in the database. The place is the compound the leader wrote down, else the
    event's community."""
    rows = (
        await Appointment.filter(event_id__in=event_ids, status=AppointmentStatus.SERVED)
        .annotate(n=Count("id"))
        .group_by("event__kind", "compound__name", "event__community__name")
        .values_list("event__kind", "compound__name", "event__community__name", "n")
    )
    return [(str(kind), compound or place or "", int(n)) for kind, compound, place, n in rows]


# Reminders -----------------------------------------------------------------------------


def _reminder_source(appointment: Appointment, hours_before: int) -> str:
    starts = int(appointment.slot.starts_at.timestamp())
    return f"appointment:{appointment.id}:{hours_before}:{starts}"


async def send_due_reminders() -> int:
    """Makes the reminders of booked appointments that are due (the nearest configured offset,
    as for shifts). The notification's unique (source, recipient) is the claim: several
    workers or a restart make each one once."""
    now = clock.now()
    hours = get_settings().reminder_hours
    due = await Appointment.filter(
        status=AppointmentStatus.BOOKED,
        resident_id__isnull=False,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + timedelta(hours=max(hours)),
        event__status=EventStatus.PUBLISHED,
    ).select_related("slot", "event")
    if not due:
        return 0
    sources = {
        appointment.id: _reminder_source(
            appointment,
            min(h for h in hours if appointment.slot.starts_at - timedelta(hours=h) <= now),
        )
        for appointment in due
    }
    made_before = set(
        await Notification.filter(source__in=list(sources.values())).values_list(
            "source", flat=True
        )
    )
    made = 0
    for appointment in due:
        source = sources[appointment.id]
        if source in made_before or appointment.resident_id is None:
            continue
        event = appointment.event
        message = N_(
            "Appointment reminder: %(title)s, %(when)s at %(place)s.",
            title=event.title,
            when=appointment.slot.starts_at,
            place=notifications.place_text(event.location_name),
        )
        draft = notifications.Draft(
            appointment.resident_id, NotificationKind.REMINDER, message, event.id
        )
        made += await notifications.create(source, [draft])
    return made
