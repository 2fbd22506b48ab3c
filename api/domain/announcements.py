"""A leader's message to everyone on an event: delivered as notifications through the
existing channels (in-app, and SMS/webhook where configured)."""

from __future__ import annotations

from datetime import timedelta

from api.domain import outbox, throttle
from api.domain.actors import Actor
from api.domain.errors import Validator
from api.domain.events import get_event_for_organizer
from api.infra.i18n import N_
from api.models import Signup, SignupStatus

MESSAGE_MAX = 300
#: Messages one organizer may send in an hour (each may reach a whole event by SMS).
MESSAGES_PER_HOUR = 10


async def message_participants(
    actor: Actor, event_id: int, text: str, *, include_waitlisted: bool = False
) -> int:
    """Sends `text` to the event's confirmed volunteers (and, if asked, the waitlist);
    answers how many people it goes to."""
    event = await get_event_for_organizer(actor, event_id)
    v = Validator()
    clean = v.text(text, "text", max_length=MESSAGE_MAX, label=N_("The message"))
    v.raise_if_any()
    await throttle.quota(
        f"message:{actor.id}",
        MESSAGES_PER_HOUR,
        timedelta(hours=1),
        N_("Too many messages sent in the last hour. Please try again later."),
    )
    statuses = [SignupStatus.CONFIRMED, SignupStatus.ATTENDED]
    if include_waitlisted:
        statuses.append(SignupStatus.WAITLISTED)
    ids = await Signup.filter(shift__event_id=event.id, status__in=statuses).values_list(
        "volunteer_id", flat=True
    )
    recipients = sorted({int(str(i)) for i in ids})
    if recipients:
        await outbox.record(
            "EVENT_MESSAGE",
            event_id=event.id,
            text=clean,
            volunteer_ids=recipients,
            by_volunteer_id=actor.id,
        )
    return len(recipients)
