"""An event's roster: one line per sign-up, for the team's leaders and admins only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from api.domain.actors import Actor
from api.domain.events import get_event_for_organizer
from api.infra import rows
from api.models import Event, HoursEntry, Signup, SignupStatus

STATUS_ORDER = {
    SignupStatus.ATTENDED: 0,
    SignupStatus.CONFIRMED: 1,
    SignupStatus.NO_SHOW: 2,
    SignupStatus.WAITLISTED: 3,
    SignupStatus.CANCELLED: 4,
}


@dataclass(frozen=True)
class RosterLine:
    signup_id: int
    name: str
    phone: str
    role: str
    status: SignupStatus
    checked_in_at: datetime | None
    hours: float | None


async def roster(actor: Actor, event_id: int) -> tuple[Event, list[RosterLine]]:
    """The event and its sign-ups (shift order, then status, then arrival)."""
    event = await get_event_for_organizer(actor, event_id)
    signups = await Signup.filter(shift__event_id=event_id).select_related("volunteer", "shift")
    totals = dict(
        await HoursEntry.filter(signup_id__in=[s.id for s in signups])
        .annotate(total=Sum("centihours"))
        .group_by("signup_id")
        .values_list("signup_id", "total")
    )
    signups.sort(
        key=lambda s: (
            s.shift.starts_at,
            s.shift_id,
            STATUS_ORDER[s.status],
            s.waitlist_ticket or 0,
            s.id,
        )
    )
    return event, [
        RosterLine(
            signup_id=s.id,
            name=s.volunteer.display_name,
            phone=s.volunteer.phone,
            role=s.shift.role,
            status=s.status,
            checked_in_at=s.checked_in_at,
            hours=int(totals[s.id] or 0) / 100 if s.id in totals else None,
        )
        for s in signups
    ]


def signups_of_shifts(
    shift_ids: Sequence[int], statuses: Sequence[SignupStatus] | None = None
) -> tuple[str, list[Any]]:
    """The sign-ups of several shifts at once (optionally only with the given statuses), for
    a caller that checked `shift_signups` for each of them: an SQL condition on the table
    `"signup"` and its values (the roster page reads them with a statement written once per
    shape, `api.infra.rows`)."""
    condition = f'"signup"."shift_id" IN ({rows.marks(len(shift_ids))})'
    values: list[Any] = list(shift_ids)
    if statuses:
        condition += f' AND "signup"."status" IN ({rows.marks(len(statuses))})'
        values += [SignupStatus(s).value for s in statuses]
    return condition, values


async def shift_signups(
    actor: Actor, event: Event, shift_id: int, statuses: Sequence[SignupStatus] | None = None
) -> QuerySet[Signup] | None:
    """Who signed up for a shift of `event` (optionally only with the given statuses), for the
    leaders of the event's team and admins; None for anyone else."""
    if not await actor.leads(event.team_id):
        return None
    queryset = Signup.filter(shift_id=shift_id)
    return queryset.filter(status__in=list(statuses)) if statuses else queryset
