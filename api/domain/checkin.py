"""Check-in on site with a rotating code, and attendance taken by leaders."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from api.domain import hours, throttle
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, InvalidInput, Validator
from api.domain.locks import lock_shift
from api.domain.signups import SEAT_HOLDING
from api.infra import clock
from api.infra.i18n import N_
from api.infra.keys import check_in_code_key
from api.models import Event, HoursMethod, Shift, Signup, SignupStatus

CODE_PERIOD = timedelta(minutes=10)
CODE_DIGITS = 6
OPENS_BEFORE_START = timedelta(hours=1)
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
MAX_HOURS = 24
# A leader may credit a shift's length plus this (a shift that ran late); more is an admin's.
HOURS_MARGIN = timedelta(hours=1)
NOTE_MAX_LENGTH = 200  # `HoursEntry.note`


def code_for(shift_id: int, at: datetime) -> str:
    window = int(at.timestamp() // CODE_PERIOD.total_seconds())
    key = check_in_code_key()
    digest = hmac.new(key, f"check-in:{shift_id}:{window}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS
    return f"{number:0{CODE_DIGITS}d}"


def current_code(shift_id: int) -> str:
    return code_for(shift_id, clock.now())


async def code_shown_to(actor: Actor, shift_id: int, event: Event) -> str | None:
    """The shift's current check-in code, for the leaders of the event's team and admins;
    None for anyone else."""
    if not await actor.leads(event.team_id):
        return None
    return current_code(shift_id)


def code_is_valid(shift_id: int, code: str) -> bool:
    """The current code, the previous one (someone read it just before it rotated) or the next
    one (the organizer's phone runs a little ahead of the server: clocks between machines
    differ by seconds, and right after a rotation they would show different codes)."""
    now = clock.now()
    code = (code or "").strip()
    return any(
        hmac.compare_digest(code_for(shift_id, at), code)
        for at in (now, now - CODE_PERIOD, now + CODE_PERIOD)
    )


def window_open(shift: Shift) -> bool:
    """Check-in opens one hour before the shift starts and closes when it ends."""
    return shift.starts_at - OPENS_BEFORE_START <= clock.now() <= shift.ends_at


def can_check_in(signup: Signup, shift: Shift) -> bool:
    return signup.status == SignupStatus.CONFIRMED and window_open(shift)


async def check_in(actor: Actor, shift_id: int, code: str) -> Signup:
    volunteer = actor.require_volunteer()
    signup = await Signup.get_or_none(shift_id=shift_id, volunteer_id=volunteer.id).select_related(
        "shift"
    )
    if signup is None or signup.status in (SignupStatus.CANCELLED, SignupStatus.WAITLISTED):
        raise DomainError(
            ErrorCode.NOT_SIGNED_UP,
            N_("You have no confirmed sign-up for this shift."),
            ["shiftId"],
        )
    if signup.status == SignupStatus.ATTENDED:
        return signup
    shift = signup.shift
    now = clock.now()
    if not window_open(shift):
        raise DomainError(
            ErrorCode.CHECK_IN_CLOSED,
            N_("Check-in opens one hour before the shift starts and closes when it ends."),
        )
    # Decided atomically before the code is compared: of 200 wrong codes sent at once, at
    # most WRONG_CODE_LIMIT are compared (see `throttle`).
    limit = throttle.Limit(
        f"checkin:{volunteer.id}:{shift_id}", WRONG_CODE_LIMIT, WRONG_CODE_WINDOW
    )
    attempt = await throttle.attempt([limit], N_("check-in codes"))
    if not code_is_valid(shift_id, code):
        raise DomainError(
            ErrorCode.BAD_CODE, N_("That code is not right. Ask the organizer."), ["code"]
        )
    await attempt.succeeded()
    async with in_transaction():
        # The shift's row first (as every sign-up change): a removal of the shift or a
        # cancellation of this sign-up meanwhile has committed, and one that comes later sees
        # the attendance (a shift with attendance is not removed).
        current = await _current(signup)
        if current is None or current.status == SignupStatus.CANCELLED:
            raise DomainError(
                ErrorCode.NOT_SIGNED_UP,
                N_("You have no confirmed sign-up for this shift."),
                ["shiftId"],
            )
        updated = await Signup.filter(id=signup.id, status=SignupStatus.CONFIRMED).update(
            status=SignupStatus.ATTENDED, checked_in_at=now
        )
        if updated:
            await hours.credit(
                signup, hours.shift_centihours(shift), HoursMethod.SELF_CHECK_IN, volunteer.id
            )
        return await Signup.get(id=signup.id)


async def _current(signup: Signup) -> Signup | None:
    """Inside a transaction: the sign-up as it is now, read under its shift's lock; None when
    the shift (and its sign-ups with it) was removed meanwhile."""
    if await lock_shift(signup.shift_id) is None:
        return None
    return await Signup.get_or_none(id=signup.id)


async def mark_attendance(
    actor: Actor,
    signup_id: int,
    status: SignupStatus,
    hours_served: float | None,
    note: str | None = None,
) -> Signup:
    """A leader of the event's team (or an admin) records attendance and credits hours.

    * Not before the shift starts, and a leader never on their own sign-up (another leader
      of the team or an admin does it).
    * A leader credits at most the shift's length plus `HOURS_MARGIN`; beyond that it is an
      admin's correction, with a required note (kept in the ledger row).
    Every change is a new row of the hours ledger; nothing is overwritten."""
    actor.require_volunteer()
    signup = await Signup.get_or_none(id=signup_id).select_related("shift__event")
    if signup is None or not await actor.may_see_event(signup.shift.event):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such sign-up."), ["signupId"])
    leader = await actor.require_leader(signup.shift.event.team_id)
    if signup.volunteer_id == leader.id and not actor.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            N_("You cannot record your own attendance; another leader of the team can."),
            ["signupId"],
        )
    shift = signup.shift
    if clock.now() < shift.starts_at:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("Attendance can be recorded once the shift has started."),
            ["signupId"],
        )
    note = (note or "").strip()
    allowed = hours.shift_centihours(shift) + round(HOURS_MARGIN.total_seconds() / 36)
    v = Validator()
    v.check(
        status in (SignupStatus.ATTENDED, SignupStatus.NO_SHOW),
        N_("Attendance is ATTENDED or NO_SHOW."),
        "status",
    )
    if hours_served is not None:
        v.check(
            0 <= hours_served <= max(MAX_HOURS, allowed / 100),
            N_("Hours must be between 0 and %(n)s.", n=f"{max(MAX_HOURS, allowed / 100):g}"),
            "hours",
        )
    v.check(
        len(note) <= NOTE_MAX_LENGTH,
        N_("%(label)s must be at most %(n)s characters.", label=N_("The note"), n=NOTE_MAX_LENGTH),
        "note",
    )
    v.raise_if_any()
    if signup.status not in SEAT_HOLDING:
        raise _not_confirmed()
    if status == SignupStatus.NO_SHOW:
        target = 0
    elif hours_served is None:
        target = hours.shift_centihours(shift)
    else:
        target = round(hours_served * 100)
    if target > allowed:
        if not actor.is_admin:
            raise DomainError(
                ErrorCode.FORBIDDEN,
                N_(
                    "At most %(n)s hours for this shift; "
                    "an admin can correct beyond that, with a note.",
                    n=f"{allowed / 100:g}",
                ),
                ["hours"],
            )
        if not note:
            raise InvalidInput(N_("A correction beyond the shift's length needs a note."), ["note"])
    async with in_transaction():
        # Checked again under the shift's lock: a sign-up cancelled meanwhile (its seat given
        # to the waitlist) or gone with its shift is not marked.
        current = await _current(signup)
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, N_("No such sign-up."), ["signupId"])
        if current.status not in SEAT_HOLDING:
            raise _not_confirmed()
        await Signup.filter(id=signup.id).update(status=status)
        await hours.credit(signup, target, HoursMethod.LEADER, leader.id, note)
        return await Signup.get(id=signup.id)


def _not_confirmed() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_STATE, N_("Only a confirmed sign-up can be marked."), ["signupId"]
    )
