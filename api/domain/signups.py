"""Sign-ups: capacity that never overbooks, an ordered waitlist, idempotent retries.

The capacity guard is one conditional update of the shift's counter
(``seats_taken = seats_taken + 1 WHERE seats_taken < capacity``) inside a short transaction,
backed by the unique and CHECK constraints in the database. Every transaction touches the
shift row first and sign-up rows after, so concurrent changes queue on the shift instead of
deadlocking. Invariants (tested with hypothesis):

* ``seats_taken`` == number of sign-ups holding a seat (CONFIRMED, ATTENDED, NO_SHOW) ≤ capacity
* ``waitlist_count`` == number of WAITLISTED sign-ups; they are ranked by ``waitlist_ticket``
* a free seat and a non-empty waitlist never coexist after a transaction, except where every
  waiting volunteer now holds an overlapping confirmed shift, or the shift has started
* a volunteer never holds two CONFIRMED sign-ups whose shifts overlap: sign-ups and promotions
  lock the volunteer's row (after the shift's) and check inside the transaction
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from api.domain import outbox
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.events import check_capacity
from api.domain.locks import lock_shift, lock_volunteer, lock_volunteers
from api.infra import clock, rows
from api.infra.i18n import N_
from api.models import Event, EventStatus, Shift, Signup, SignupStatus, Volunteer
from api.settings import get_settings

SEAT_HOLDING = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW)
ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
IDEMPOTENCY_KEY_MAX = 100


def is_upcoming(status: SignupStatus | str, shift_ends_at: datetime, now: datetime) -> bool:
    """A sign-up still ahead of the volunteer: confirmed or waitlisted, for a shift that has not
    ended yet (everything else, attended, cancelled or over, is their past)."""
    return status in ACTIVE and shift_ends_at >= now


def validated_idempotency_key(key: str) -> str:
    """A client's idempotency key, trimmed; 1–100 printable characters (sign-ups, bookings)."""
    v = Validator()
    key = (key or "").strip()
    v.check(
        0 < len(key) <= IDEMPOTENCY_KEY_MAX and key.isprintable(),
        N_("The idempotency key must be 1–%(n)s printable characters.", n=IDEMPOTENCY_KEY_MAX),
        "idempotencyKey",
    )
    v.raise_if_any()
    return key


async def _replay(volunteer: Volunteer, shift_id: int, key: str) -> Signup | None:
    """The sign-up this key already produced, if any."""
    previous = await Signup.get_or_none(volunteer_id=volunteer.id, idempotency_key=key)
    if previous is None:
        return None
    if previous.shift_id != shift_id:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_MISMATCH,
            N_("This idempotency key was already used for another shift."),
            ["idempotencyKey"],
        )
    return previous


def accepts_sign_ups(shift: Shift, event: Event) -> bool:
    return event.status == EventStatus.PUBLISHED and shift.starts_at > clock.now()


def ensure_open(shift: Shift, event: Event) -> None:
    if event.status != EventStatus.PUBLISHED:
        if event.status == EventStatus.CANCELLED:
            raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This event is cancelled."))
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This event is not open for sign-ups."))
    if shift.starts_at <= clock.now():
        raise DomainError(ErrorCode.EVENT_NOT_OPEN, N_("This shift has already started."))


async def holds_overlapping_seat(volunteer_id: int, shift: Shift) -> bool:
    """Whether the volunteer is CONFIRMED on another shift that overlaps this one."""
    return (
        await Signup.filter(
            volunteer_id=volunteer_id,
            status=SignupStatus.CONFIRMED,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
        )
        .exclude(shift_id=shift.id)
        .exists()
    )


async def clashing_shift_ids(volunteer_id: int | None, shifts: Sequence[Shift]) -> set[int]:
    """Which of these shifts overlap one the volunteer is CONFIRMED on (another shift): the
    event page marks them before a tap, as the sign-up would answer SCHEDULE_CONFLICT.
    One query for the whole page."""
    if volunteer_id is None or not shifts:
        return set()
    held = await Signup.filter(
        volunteer_id=volunteer_id,
        status=SignupStatus.CONFIRMED,
        shift__starts_at__lt=max(s.ends_at for s in shifts),
        shift__ends_at__gt=min(s.starts_at for s in shifts),
    ).values_list("shift_id", "shift__starts_at", "shift__ends_at")
    return {
        shift.id
        for shift in shifts
        for held_id, starts_at, ends_at in held
        if held_id != shift.id and starts_at < shift.ends_at and ends_at > shift.starts_at
    }


def _schedule_conflict() -> DomainError:
    return DomainError(
        ErrorCode.SCHEDULE_CONFLICT, N_("You already have a confirmed shift at this time.")
    )


async def sign_up(actor: Actor, shift_id: int, idempotency_key: str) -> Signup:
    volunteer = actor.require_volunteer()
    key = validated_idempotency_key(idempotency_key)
    replayed = await _replay(volunteer, shift_id, key)
    if replayed is not None:
        return replayed
    shift = await Shift.get_or_none(id=shift_id).select_related("event")
    if shift is None or shift.event.status == EventStatus.DRAFT:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
    ensure_open(shift, shift.event)
    existing = await Signup.get_or_none(shift_id=shift_id, volunteer_id=volunteer.id)
    if existing is not None and existing.idempotency_key == key:
        return existing  # a replay that raced its original (answered by another worker)
    if existing is not None and existing.status != SignupStatus.CANCELLED:
        raise DomainError(
            ErrorCode.ALREADY_SIGNED_UP, N_("You have already signed up for this shift.")
        )
    if await holds_overlapping_seat(volunteer.id, shift):
        raise _schedule_conflict()
    try:
        return await _take_seat_or_ticket(shift, volunteer.id, key, existing)
    except IntegrityError:
        # A parallel request won: the same key (replay) or the same shift (another key).
        replayed = await _replay(volunteer, shift_id, key)
        if replayed is not None:
            return replayed
        raise DomainError(
            ErrorCode.ALREADY_SIGNED_UP, N_("You have already signed up for this shift.")
        ) from None


async def _take_seat_or_ticket(
    shift: Shift, volunteer_id: int, key: str, cancelled: Signup | None
) -> Signup:
    now = clock.now()
    shift_id = shift.id
    async with in_transaction():
        seated = await Shift.filter(id=shift_id, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        if not seated:
            await Shift.filter(id=shift_id).update(
                waitlist_count=F("waitlist_count") + 1, waitlist_ticket=F("waitlist_ticket") + 1
            )
        # The shift row is locked now, so whatever closed it since the checks above (the
        # shift removed, its event cancelled or completed) has committed: asked again, with
        # the ticket just drawn. Closed meanwhile: the rollback gives the seat or ticket back.
        current = await Shift.get_or_none(id=shift_id).select_related("event")
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
        ensure_open(current, current.event)
        if seated:
            fields: dict[str, Any] = dict(
                status=SignupStatus.CONFIRMED, waitlist_ticket=None, confirmed_at=now
            )
        else:
            fields = dict(
                status=SignupStatus.WAITLISTED,
                waitlist_ticket=current.waitlist_ticket,
                confirmed_at=None,
            )
        # Checked again under the volunteer's lock, taken after the shift row's (one order
        # everywhere, so no deadlock): two overlapping sign-ups sent at once cannot both
        # confirm, and the loser's seat or ticket is given back by the rollback.
        await lock_volunteer(volunteer_id)
        if await holds_overlapping_seat(volunteer_id, shift):
            raise _schedule_conflict()
        if cancelled is None:
            signup = await Signup.create(
                shift_id=shift_id, volunteer_id=volunteer_id, idempotency_key=key, **fields
            )
        else:
            # Signing up again after cancelling reuses the row (one row per volunteer and shift).
            updated = await Signup.filter(id=cancelled.id, status=SignupStatus.CANCELLED).update(
                idempotency_key=key,
                cancelled_at=None,
                cancelled_late=False,
                checked_in_at=None,
                **fields,
            )
            if not updated:
                raise IntegrityError("sign-up changed concurrently")
            signup = await Signup.get(id=cancelled.id)
        await outbox.record(
            "SIGNUP_CREATED", signup_id=signup.id, shift_id=shift_id, status=str(signup.status)
        )
        return signup


async def _signup_for_manager(actor: Actor, signup_id: int) -> Signup:
    """A sign-up the actor may change: their own, or one of a team they lead."""
    actor.require_volunteer()
    signup = await Signup.get_or_none(id=signup_id).select_related("shift__event")
    if signup is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such sign-up."), ["signupId"])
    if signup.volunteer_id != actor.id and not await actor.leads(signup.shift.event.team_id):
        if await actor.may_see_personal_data_of(signup.volunteer_id):
            raise DomainError(ErrorCode.FORBIDDEN, N_("You may not change this sign-up."))
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such sign-up."), ["signupId"])
    return signup


def own_cancellation_closes_at(shift: Shift) -> Any:
    """When a volunteer can no longer cancel their own sign-up (leaders still can remove it):
    the shift's start, less the configured cut-off."""
    return shift.starts_at - timedelta(minutes=get_settings().cancel_cutoff_minutes)


def is_late_cancellation(shift: Shift, at: Any) -> bool:
    """A volunteer's own cancellation this close to the start is recorded as late."""
    return bool(at >= shift.starts_at - timedelta(hours=get_settings().late_cancel_hours))


async def cancel_signup(actor: Actor, signup_id: int) -> Signup:
    signup = await _signup_for_manager(actor, signup_id)
    if signup.status == SignupStatus.CANCELLED:
        return signup
    if signup.status not in ACTIVE:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("Attendance has been recorded; this sign-up cannot be cancelled."),
        )
    now = clock.now()
    own = signup.volunteer_id == actor.id and not actor.is_admin
    if own and now >= own_cancellation_closes_at(signup.shift):
        raise DomainError(
            ErrorCode.CANCELLATION_CLOSED,
            N_("This shift has started; you can no longer cancel. Please tell the organizer."),
        )
    late = (
        own and signup.status == SignupStatus.CONFIRMED and is_late_cancellation(signup.shift, now)
    )
    async with in_transaction():
        shift = await lock_shift(signup.shift_id)
        current = await Signup.get_or_none(id=signup.id) if shift is not None else None
        if shift is None or current is None:  # its shift was removed meanwhile, with it
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such sign-up."), ["signupId"])
        if current.status not in ACTIVE:
            return current
        await Signup.filter(id=signup.id).update(
            status=SignupStatus.CANCELLED,
            cancelled_at=now,
            waitlist_ticket=None,
            cancelled_late=late,
        )
        if current.status == SignupStatus.CONFIRMED:
            await Shift.filter(id=shift.id).update(seats_taken=F("seats_taken") - 1)
            await promote_waitlist(shift.id)
        else:
            await Shift.filter(id=shift.id).update(waitlist_count=F("waitlist_count") - 1)
        await outbox.record(
            "SIGNUP_CANCELLED",
            signup_id=signup.id,
            shift_id=shift.id,
            volunteer_id=signup.volunteer_id,
            by_volunteer_id=actor.id,
        )
        # Read under the shift's lock: a removal right after the commit cannot take it away.
        return await Signup.get(id=signup.id)


async def promote_waitlist(shift_id: int, limit: int | None = None) -> list[int]:
    """Moves waitlist heads into free seats, in arrival order (inside the caller's
    transaction, after the shift row has been touched). Returns the promoted sign-up ids.

    Nobody is promoted into a shift that has started. A waiting volunteer who meanwhile took
    an overlapping shift elsewhere is skipped (and keeps waiting): the next one is promoted."""
    promoted: list[int] = []
    now = clock.now()
    shift = await Shift.get(id=shift_id)
    if shift.starts_at <= now:
        return promoted
    if shift.seats_taken >= shift.capacity:
        return promoted
    waiting = (
        await Signup.filter(shift_id=shift_id, status=SignupStatus.WAITLISTED)
        .order_by("waitlist_ticket")
        .values_list("id", "volunteer_id")
    )
    # The waiting volunteers' rows, all at once in id order (not one by one in ticket order:
    # two promotions on two shifts whose waitlists rank the same people differently locked
    # them in opposite orders and deadlocked on PostgreSQL).
    await lock_volunteers([volunteer_id for _, volunteer_id in waiting])
    for signup_id, volunteer_id in waiting:
        if limit is not None and len(promoted) >= limit:
            break
        if shift.seats_taken + len(promoted) >= shift.capacity:
            break
        if await holds_overlapping_seat(volunteer_id, shift):
            continue
        seated = await Shift.filter(id=shift_id, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1, waitlist_count=F("waitlist_count") - 1
        )
        if not seated:
            break
        await Signup.filter(id=signup_id).update(
            status=SignupStatus.CONFIRMED, waitlist_ticket=None, confirmed_at=now
        )
        await outbox.record(
            "PROMOTED_FROM_WAITLIST",
            signup_id=signup_id,
            shift_id=shift_id,
            volunteer_id=volunteer_id,
        )
        promoted.append(signup_id)
    return promoted


async def change_capacity(actor: Actor, shift_id: int, capacity: int) -> Shift:
    """Raising a shift's capacity promotes as many as it frees; lowering it below the
    seats already taken is refused."""
    actor.require_volunteer()
    v = Validator()
    check_capacity(v, capacity)
    v.raise_if_any()
    shift = await Shift.get_or_none(id=shift_id).select_related("event")
    if shift is None or not await actor.may_see_event(shift.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
    await actor.require_leader(shift.event.team_id)
    async with in_transaction():
        locked = await lock_shift(shift_id)
        if locked is None:  # removed meanwhile
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such shift."), ["shiftId"])
        shift = locked
        changed = await Shift.filter(id=shift_id, seats_taken__lte=capacity).update(
            capacity=capacity
        )
        if not changed:
            raise DomainError(
                ErrorCode.CAPACITY_BELOW_CONFIRMED,
                N_(
                    "%(n)s volunteers are already confirmed; "
                    "cancel sign-ups before lowering the capacity below that.",
                    n=shift.seats_taken,
                ),
                ["capacity"],
            )
        await promote_waitlist(shift_id)
        await outbox.record("SHIFT_CAPACITY_CHANGED", shift_id=shift_id)
        return await Shift.get(id=shift_id)


async def signups_of(
    actor: Actor, volunteer_id: int, statuses: Sequence[SignupStatus] | None = None
) -> tuple[str, list[Any]] | None:
    """A volunteer's sign-ups (optionally only with the given statuses), for the volunteer,
    their team leaders and admins; None for anyone else. An SQL condition on the table
    `"signup"` and its values ("my shifts" reads the page with a statement written once per
    shape, `api.infra.rows`)."""
    if not await actor.may_see_personal_data_of(volunteer_id):
        return None
    condition = '"signup"."volunteer_id" = ?'
    values: list[Any] = [volunteer_id]
    if statuses:
        condition += f' AND "signup"."status" IN ({rows.marks(len(statuses))})'
        values += [SignupStatus(s).value for s in statuses]
    return condition, values
