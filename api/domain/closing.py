"""Closing an event: once it is over, its record is final.

A leader closes an event (`complete_event`), or the scheduler does it some hours after the end
(`close_finished_events`). Closing sets the event COMPLETED; CONFIRMED sign-ups nobody marked
become NO_SHOW (they keep their seat in the counts), attended ones keep their hours, and the
waitlist is closed (nobody is promoted into a past shift). A volunteer's no-show and
late-cancellation counts are what leaders of their teams (and the volunteer) see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from api.domain import outbox
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.domain.events import get_event_for_organizer, reread
from api.infra import clock
from api.infra.i18n import N_
from api.models import Event, EventStatus, Shift, Signup, SignupStatus
from api.settings import get_settings


async def complete_event(actor: Actor, event_id: int) -> Event:
    """A leader of the event's team (or an admin) closes it; it must have started."""
    event = await get_event_for_organizer(actor, event_id)
    if event.status == EventStatus.COMPLETED:
        return event
    if event.status != EventStatus.PUBLISHED:
        raise DomainError(
            ErrorCode.INVALID_STATE, N_("Only a published event can be closed."), ["eventId"]
        )
    if event.starts_at > clock.now():
        raise DomainError(
            ErrorCode.INVALID_STATE, N_("The event has not started yet."), ["eventId"]
        )
    await _close(event.id)
    return await reread(event.id)


async def close_finished_events(now: datetime | None = None, batch: int = 50) -> int:
    """Closes published events that ended more than the configured hours ago (the
    scheduler's job; several workers may run it at once: each event is closed once)."""
    moment = now or clock.now()
    cutoff = moment - timedelta(hours=get_settings().close_events_after_hours)
    ids = (
        await Event.filter(status=EventStatus.PUBLISHED, ends_at__lte=cutoff)
        .order_by("ends_at")
        .limit(batch)
        .values_list("id", flat=True)
    )
    closed = 0
    for event_id in ids:
        closed += await _close(int(str(event_id)))
    return closed


async def _close(event_id: int) -> int:
    """One transaction: the conditional status change decides who closes it."""
    now = clock.now()
    async with in_transaction():
        won = await Event.filter(id=event_id, status=EventStatus.PUBLISHED).update(
            status=EventStatus.COMPLETED
        )
        if not won:
            return 0
        shift_ids = list(await Shift.filter(event_id=event_id).values_list("id", flat=True))
        # The shift rows before the sign-ups: the order every sign-up change locks them in.
        await Shift.filter(id__in=shift_ids).update(waitlist_count=0)
        no_shows = Signup.filter(shift_id__in=shift_ids, status=SignupStatus.CONFIRMED)
        missing = await no_shows.values_list("volunteer_id", flat=True)
        await no_shows.update(status=SignupStatus.NO_SHOW)
        await Signup.filter(shift_id__in=shift_ids, status=SignupStatus.WAITLISTED).update(
            status=SignupStatus.CANCELLED, cancelled_at=now, waitlist_ticket=None
        )
        await outbox.record(
            "EVENT_COMPLETED",
            event_id=event_id,
            no_show_volunteer_ids=sorted({int(str(i)) for i in missing}),
        )
    return 1


@dataclass(frozen=True)
class Reliability:
    no_shows: int
    late_cancellations: int


async def reliability(actor: Actor, volunteer_id: int) -> Reliability | None:
    """A volunteer's no-shows and late cancellations, for themself, the leaders of their
    teams and admins; `None` for anyone else."""
    if not await actor.may_see_personal_data_of(volunteer_id):
        return None
    no_shows = await Signup.filter(volunteer_id=volunteer_id, status=SignupStatus.NO_SHOW).count()
    late = await Signup.filter(
        volunteer_id=volunteer_id, status=SignupStatus.CANCELLED, cancelled_late=True
    ).count()
    return Reliability(no_shows=no_shows, late_cancellations=late)
