"""iCalendar (RFC 5545) feeds: a volunteer's private feed and a team's public feed.

* The volunteer's feed lists every CONFIRMED or ATTENDED shift (and, marked
  ``STATUS:CANCELLED``, shifts of events that were cancelled), one ``VEVENT`` per shift with the
  stable UID ``shift-<id>@linli`` and a ``VALARM`` at the nearest reminder offset. It is found by
  an unguessable token (`Volunteer.calendar_token`, or one derived from the id until then) and
  replaced by `reset_token`, which makes the old URL answer 404.
* The team's feed lists its published, completed and cancelled events (UID
  ``event-<id>@linli``) from 90 days ago on.

Times are written in UTC (``…Z``), which every calendar client shows in its own zone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as VEvent

from api.domain.actors import Actor
from api.infra import clock, keys
from api.models import Event, EventStatus, Signup, SignupStatus, Team, Volunteer
from api.settings import get_settings

TOKEN_BYTES = 24
PAST_WINDOW = timedelta(days=90)
MAX_ITEMS = 1000
PRODID = "-//Linli//linli 邻里//ZH"


def feed_url(token: str) -> str:
    return f"{get_settings().public_url}/calendar/{token}.ics"


def token_of(volunteer: Volunteer) -> str:
    """The volunteer's feed token, without writing anything (reads never write).

    A volunteer who never reset their feed has a token derived from their id and the server's
    secret (`d<id>.<mac>`); `reset_token` stores a random one instead, which retires the
    derived token for good."""
    if volunteer.calendar_token:
        return volunteer.calendar_token
    return _derived_token(volunteer.id)


def _derived_token(volunteer_id: int) -> str:
    mac = hmac.new(
        keys.calendar_token_key(), f"calendar-feed:{volunteer_id}".encode(), hashlib.sha256
    ).digest()
    return f"d{volunteer_id}." + base64.urlsafe_b64encode(mac[:18]).decode()


async def _volunteer_for(token: str) -> Volunteer | None:
    if token.startswith("d") and "." in token:
        number = token[1:].partition(".")[0]
        if number.isdigit() and len(number) < 10:
            volunteer_id = int(number)
            if hmac.compare_digest(token, _derived_token(volunteer_id)):
                return await Volunteer.get_or_none(id=volunteer_id, calendar_token__isnull=True)
        return None
    return await Volunteer.get_or_none(calendar_token=token)


async def reset_token(actor: Actor) -> str:
    """A new token for the actor's feed; the old URL stops working."""
    volunteer = actor.require_volunteer()
    volunteer.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    await Volunteer.filter(id=volunteer.id).update(calendar_token=volunteer.calendar_token)
    return volunteer.calendar_token


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    return cal


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _vevent(uid: str, summary: str, start: datetime, end: datetime, event: Event) -> VEvent:
    item = VEvent()
    item.add("uid", uid)
    item.add("dtstamp", _utc(event.updated_at or event.created_at))
    item.add("dtstart", _utc(start))
    item.add("dtend", _utc(end))
    item.add("summary", summary)
    place = ", ".join(p for p in (event.location_name, event.location_address) if p)
    if place:
        item.add("location", place)
    url = f"{get_settings().public_url}/events/{event.id}"
    item.add("url", url)
    description = event.description or ""
    if event.status == EventStatus.CANCELLED:
        item.add("status", "CANCELLED")
        description = f"已取消 Cancelled: {event.cancel_reason or ''}\n{description}"
    else:
        item.add("status", "CONFIRMED")
    item.add("description", f"{description}\n{url}".strip())
    return item


async def volunteer_feed(token: str) -> bytes | None:
    """The feed behind a token, or None when no volunteer has it."""
    if not token or len(token) > 64:
        return None
    volunteer = await _volunteer_for(token)
    if volunteer is None:
        return None
    since = clock.now() - PAST_WINDOW
    signups = (
        await Signup.filter(volunteer_id=volunteer.id, shift__ends_at__gte=since)
        .filter(status__in=[SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.CANCELLED])
        .select_related("shift__event")
        .order_by("shift__starts_at")
        .limit(MAX_ITEMS)
    )
    cal = _calendar(f"邻里 · {volunteer.display_name}")
    for signup in signups:
        shift, event = signup.shift, signup.shift.event
        if signup.status == SignupStatus.CANCELLED and event.status != EventStatus.CANCELLED:
            continue  # the volunteer's own cancellation: simply gone from the feed
        item = _vevent(
            f"shift-{shift.id}@linli",
            f"{event.title}（{shift.role}）",
            shift.starts_at,
            shift.ends_at,
            event,
        )
        if event.status != EventStatus.CANCELLED:
            item.add_component(_alarm(f"{event.title}（{shift.role}）"))
        cal.add_component(item)
    return cal.to_ical()


def _alarm(text: str) -> Alarm:
    """The phone's own reminder, at the nearest reminder offset (e.g. 2 hours before)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -timedelta(hours=min(get_settings().reminder_hours)))
    return alarm


async def team_feed(team_id: int) -> bytes | None:
    team = await Team.get_or_none(id=team_id)
    if team is None:
        return None
    events = (
        await Event.filter(
            team_id=team_id,
            status__in=[EventStatus.PUBLISHED, EventStatus.COMPLETED, EventStatus.CANCELLED],
            ends_at__gte=clock.now() - PAST_WINDOW,
        )
        .order_by("starts_at")
        .limit(MAX_ITEMS)
    )
    cal = _calendar(f"邻里 · {team.name}")
    for event in events:
        cal.add_component(
            _vevent(f"event-{event.id}@linli", event.title, event.starts_at, event.ends_at, event)
        )
    return cal.to_ical()


async def feed_url_for(actor: Actor, volunteer: Volunteer) -> str | None:
    """The URL of a volunteer's private feed, for that volunteer only (None for anyone else).
    Reading it writes nothing (see `token_of`)."""
    if actor.id is None or actor.id != volunteer.id:
        return None
    return feed_url(token_of(volunteer))
