"""Reminders before a confirmed shift (24 and 2 hours by default; ``LINLI_REMINDER_HOURS``).

Each reminder is claimed in the database (`ReminderDispatch`, unique per shift, volunteer and
offset) in the same transaction that creates its notification, so several workers or a
restart never make it twice; whatever is due and unclaimed when a tick runs is made then, so
nothing is skipped while the shift has not started (`api.jobs.delivery` sends it out). Only the nearest due offset is sent: a
volunteer who signs up 90 minutes before gets the 2-hour reminder, not also the 24-hour one.
Time comes from `api.infra.clock`. The text is a message id with parameters, rendered in the
reader's language (see `api.domain.notifications`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.domain import notifications
from api.infra import clock
from api.infra.i18n import NP_, Param, Text
from api.models import (
    EventStatus,
    Notification,
    NotificationKind,
    ReminderDispatch,
    Signup,
    SignupStatus,
)
from api.settings import get_settings

log = logging.getLogger("linli.reminders")


def reminder_hours() -> tuple[int, ...]:
    """The configured offsets in hours, largest first."""
    return get_settings().reminder_hours


def source_for(signup: Signup, hours_before: int) -> str:
    starts = int(signup.shift.starts_at.timestamp())
    return f"reminder:{signup.shift_id}:{hours_before}:{starts}"


def message_for(signup: Signup, now: datetime) -> Text:
    shift, event = signup.shift, signup.shift.event
    left = shift.starts_at - now
    details: dict[str, Param] = dict(
        title=event.title,
        role=shift.role,
        when=shift.starts_at,
        place=notifications.place_text(event.location_name),
    )
    if left < timedelta(minutes=59, seconds=30):  # "约 3 分钟后", never "约 1 小时后"
        return NP_(
            "Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s minute, at %(place)s.",
            "Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s minutes, at %(place)s.",
            max(1, round(left.total_seconds() / 60)),
            **details,
        )
    return NP_(
        "Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s hour, at %(place)s.",
        "Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s hours, at %(place)s.",
        round(left.total_seconds() / 3600),
        **details,
    )


async def _claim(signup: Signup, hours_before: int, now: datetime) -> bool:
    try:
        async with in_transaction():
            await ReminderDispatch.create(
                shift_id=signup.shift_id,
                volunteer_id=signup.volunteer_id,
                hours_before=hours_before,
                sent_at=now,
            )
            await Notification.create(
                source=source_for(signup, hours_before),
                volunteer_id=signup.volunteer_id,
                kind=NotificationKind.REMINDER,
                message=notifications.stored(message_for(signup, now)),
                event_id=signup.shift.event_id,
            )
    except IntegrityError:
        return False  # claimed by another worker (or made before a restart)
    return True


async def send_due() -> int:
    """Makes every reminder that is due now and not yet claimed; returns how many."""
    now = clock.now()
    hours = reminder_hours()
    due_signups = await Signup.filter(
        status=SignupStatus.CONFIRMED,
        shift__starts_at__gt=now,
        shift__starts_at__lte=now + timedelta(hours=max(hours)),
        shift__event__status=EventStatus.PUBLISHED,
    ).select_related("shift__event")
    if not due_signups:
        return 0
    claimed = set(
        await ReminderDispatch.filter(
            shift_id__in={s.shift_id for s in due_signups},
            volunteer_id__in={s.volunteer_id for s in due_signups},
        ).values_list("shift_id", "volunteer_id", "hours_before")
    )
    made = 0
    for signup in due_signups:
        due = [h for h in hours if signup.shift.starts_at - timedelta(hours=h) <= now]
        nearest = min(due)
        if (signup.shift_id, signup.volunteer_id, nearest) in claimed:
            continue
        made += await _claim(signup, nearest, now)
    return made
