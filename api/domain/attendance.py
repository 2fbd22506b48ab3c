"""Taking attendance on site: a walk-in neighbour added by a leader, everyone marked present
at once. Hours and their rules stay those of `checkin.mark_attendance` (one rule, one place)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from api.domain import checkin, outbox, throttle
from api.domain.accounts import checked_phone
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.locks import lock_shift
from api.infra import clock
from api.infra.i18n import N_
from api.models import Event, EventStatus, Shift, Signup, SignupStatus, Volunteer

#: A password hash no password matches: a walk-in's account is claimed later by SMS code.
NO_PASSWORD = "!walk-in"
#: Walk-ins one leader may add in an hour (each may create an account for a phone number).
WALK_INS_PER_HOUR = 60


async def _shift_for_leader(actor: Actor, shift_id: int) -> Shift:
    actor.require_volunteer()
    shift = await Shift.get_or_none(id=shift_id).select_related("event")
    if shift is None or not await actor.may_see_event(shift.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
    await actor.require_leader(shift.event.team_id)
    return shift


async def add_walk_in(actor: Actor, shift_id: int, phone: str, name: str) -> Signup:
    """A neighbour who turned up without signing up: found by phone, or given a minimal
    account marked as added by this leader; confirmed on the shift (a free seat is needed:
    raise the capacity first when it is full)."""
    shift = await _shift_for_leader(actor, shift_id)
    leader = actor.require_volunteer()
    v = Validator()
    phone = checked_phone(v, phone)
    clean_name = v.text(name, "name", max_length=50, label=N_("The name"))
    v.raise_if_any()
    _ensure_open(shift.event)
    await throttle.quota(
        f"walk-in:{leader.id}",
        WALK_INS_PER_HOUR,
        timedelta(hours=1),
        N_("Too many walk-ins added in the last hour. Please try again later."),
    )
    person = await Volunteer.get_or_none(phone=phone)
    if person is None:
        try:
            person = await Volunteer.create(
                phone=phone,
                password_hash=NO_PASSWORD,
                display_name=clean_name or phone[-4:],
                added_by_id=leader.id,
            )
        except IntegrityError:  # added at the same moment by another leader
            person = await Volunteer.get(phone=phone)
    existing = await Signup.get_or_none(shift_id=shift.id, volunteer_id=person.id)
    if existing is not None and existing.status != SignupStatus.CANCELLED:
        return existing
    try:
        return await _seat(shift.id, person.id, existing)
    except IntegrityError:  # the same walk-in added twice at once: once is enough
        return await Signup.get(shift_id=shift.id, volunteer_id=person.id)


def _ensure_open(event: Event) -> None:
    if event.status not in (EventStatus.PUBLISHED, EventStatus.COMPLETED):
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This event is not open."), ["shiftId"])


async def _seat(shift_id: int, volunteer_id: int, existing: Signup | None) -> Signup:
    now = clock.now()
    async with in_transaction():
        # The shift's row first: whatever removed the shift or closed its event since the
        # checks above has committed, and is seen here.
        locked = await lock_shift(shift_id)
        if locked is None:
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
        event = await Event.get(id=locked.event_id)
        _ensure_open(event)
        seated = await Shift.filter(id=shift_id, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        if not seated:
            raise DomainError(
                ErrorCode.SHIFT_FULL,
                N_("This shift is full: raise its capacity to add someone on site."),
                ["shiftId"],
            )
        fields: dict[str, Any] = dict(
            status=SignupStatus.CONFIRMED, confirmed_at=now, waitlist_ticket=None
        )
        if existing is None:
            signup = await Signup.create(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                idempotency_key=f"walk-in:{shift_id}:{volunteer_id}",
                **fields,
            )
            await outbox.record(
                "SIGNUP_CREATED", signup_id=signup.id, shift_id=shift_id, status="CONFIRMED"
            )
            return signup
        updated = await Signup.filter(id=existing.id, status=SignupStatus.CANCELLED).update(
            cancelled_at=None, cancelled_late=False, **fields
        )
        if not updated:
            raise IntegrityError("sign-up changed concurrently")
        await outbox.record(
            "SIGNUP_CREATED", signup_id=existing.id, shift_id=shift_id, status="CONFIRMED"
        )
    return await Signup.get(id=existing.id)


@dataclass(frozen=True)
class MarkedPresent:
    marked: int
    refused: int  # sign-ups the rules kept this leader from marking (e.g. their own)


async def mark_all_present(actor: Actor, event_id: int) -> MarkedPresent:
    """Every CONFIRMED sign-up of the event becomes ATTENDED with its shift's hours."""
    actor.require_volunteer()
    event = await Event.get_or_none(id=event_id)
    if event is None or not await actor.may_see_event(event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such event."), ["eventId"])
    await actor.require_leader(event.team_id)
    ids = await Signup.filter(shift__event_id=event_id, status=SignupStatus.CONFIRMED).values_list(
        "id", flat=True
    )
    marked = refused = 0
    for signup_id in ids:
        try:
            await checkin.mark_attendance(actor, int(str(signup_id)), SignupStatus.ATTENDED, None)
            marked += 1
        except DomainError:
            refused += 1
    return MarkedPresent(marked=marked, refused=refused)
