"""Recurring series: one RRULE expanded into events in Asia/Shanghai wall-clock time.

Every occurrence is a full event (with its own shifts and sign-ups) linked to one
`EventSeries` row. The rule is parsed by python-dateutil; `COUNT` or `UNTIL` is required and
a series has at most `MAX_OCCURRENCES` events.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from types import FrameType
from typing import Any

from dateutil import parser as date_parser
from dateutil.rrule import rrule, rrulestr
from tortoise.transactions import in_transaction

from api.domain import events
from api.domain.actors import Actor
from api.domain.errors import InvalidInput
from api.domain.events import EventDraft, ShiftDraft
from api.models import Event, EventSeries
from api.settings import SHANGHAI

MAX_OCCURRENCES = 100
RULE_MAX_LENGTH = 500
FIELD = ("recurrence",)
# dateutil scans day by day (or week, month, year) until a date matches, up to the year 9999:
# a rule no date can satisfy (`FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30`) scans ~3 million days.
# The expansion is stopped after this many Python calls (each scanned period makes one to
# three; a legitimate 100-event series needs a few hundred).
MAX_EXPANSION_CALLS = 30_000


class _ExpansionTooLong(Exception):
    pass


def _bounded(expansion: Iterable[datetime], count: int) -> list[datetime]:
    """The first `count` items of `expansion`, or `_ExpansionTooLong` once it has made
    `MAX_EXPANSION_CALLS` calls (counted by a profile hook, restored afterwards)."""
    calls = 0
    previous = sys.getprofile()

    def count_calls(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1
            if calls > MAX_EXPANSION_CALLS:
                raise _ExpansionTooLong

    sys.setprofile(count_calls)
    try:
        return list(islice(expansion, count))
    finally:
        sys.setprofile(previous)


def local_wall_clock(moment: datetime) -> datetime:
    """The naive Asia/Shanghai wall-clock time of an aware datetime."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def shift_wall_clock(moment: datetime, offset: timedelta) -> datetime:
    """`moment` moved by `offset` of wall-clock time in Asia/Shanghai, in UTC (SQLite stores
    datetimes as text: everything written must be UTC so that comparisons hold)."""
    return (local_wall_clock(moment) + offset).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _normalized_rule(rule: str) -> str:
    """The rule's parts, upper-cased, with a UTC `UNTIL` turned into Shanghai wall-clock time
    (the expansion runs on naive local times)."""
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > RULE_MAX_LENGTH or not text.isprintable():
        raise InvalidInput(
            f"The recurrence must be one RRULE of at most {RULE_MAX_LENGTH} characters.", FIELD
        )
    parts: list[str] = []
    names: set[str] = set()
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().upper()
        if not sep or not name or not value.strip():
            raise InvalidInput(f"Not an RRULE part: {part!r}.", FIELD)
        if name in ("DTSTART", "TZID"):
            raise InvalidInput("The series starts at the event's start; omit DTSTART.", FIELD)
        value = value.strip()
        if name == "UNTIL":
            try:
                until = date_parser.isoparse(value)
            except ValueError:
                raise InvalidInput(
                    "UNTIL must be a date like 20261231 or 20261231T160000Z.", FIELD
                ) from None
            if until.tzinfo is not None:
                until = local_wall_clock(until)
            elif len(value) <= 8:  # a date: the whole day counts
                until = until.replace(hour=23, minute=59, second=59)
            value = until.strftime("%Y%m%dT%H%M%S")
        names.add(name)
        parts.append(f"{name}={value.upper()}")
    if "COUNT" not in names and "UNTIL" not in names:
        raise InvalidInput("A series needs COUNT or UNTIL (at most 100 events).", FIELD)
    return ";".join(parts)


def occurrences(rule: str, starts_at: datetime) -> list[datetime]:
    """The series' start times (aware, Asia/Shanghai), at most `MAX_OCCURRENCES`."""
    normalized = _normalized_rule(rule)
    start = local_wall_clock(starts_at)
    try:
        expansion = rrulestr(normalized, dtstart=start)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"Not a valid RRULE: {exc}.", FIELD) from None
    if not isinstance(expansion, rrule):
        raise InvalidInput("The recurrence must be a single RRULE.", FIELD)
    try:
        found = _bounded(expansion, MAX_OCCURRENCES + 1)
    except _ExpansionTooLong:
        raise InvalidInput(
            "This rule gives too few dates: check BYMONTH, BYMONTHDAY and the other parts.",
            FIELD,
        ) from None
    if not found:
        raise InvalidInput("This rule gives no dates after the event's start.", FIELD)
    if len(found) > MAX_OCCURRENCES:
        raise InvalidInput(f"A series has at most {MAX_OCCURRENCES} events.", FIELD)
    return [moment.replace(tzinfo=SHANGHAI) for moment in found]


def moved_draft(draft: EventDraft, offset: timedelta) -> EventDraft:
    """A copy of `draft` with the event and its shifts moved by `offset` of wall-clock time."""
    return replace(
        draft,
        starts_at=shift_wall_clock(draft.starts_at, offset),
        ends_at=shift_wall_clock(draft.ends_at, offset),
        shifts=[
            ShiftDraft(
                s.role,
                shift_wall_clock(s.starts_at, offset),
                shift_wall_clock(s.ends_at, offset),
                s.capacity,
            )
            for s in draft.shifts
        ],
    )


async def create_series(actor: Actor, draft: EventDraft, rule: str) -> Event:
    """Creates every event of the series in one transaction; returns the first."""
    actor.require_volunteer()
    await actor.require_leader(draft.team_id)
    events.validate_draft(draft)
    starts = occurrences(rule, draft.starts_at)
    first_local = local_wall_clock(draft.starts_at)
    drafts = [moved_draft(draft, local_wall_clock(s) - first_local) for s in starts]
    async with in_transaction():
        series = await EventSeries.create(rule=rule.strip())
        first = await events.create_event(actor, drafts[0], series_id=series.id)
        for later in drafts[1:]:
            await events.insert_event(later, series_id=series.id)
    return first
