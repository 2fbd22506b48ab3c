"""The change feed (`Query.changes`): every create, update and delete of the public objects —
events, shifts, teams, communities — in commit order, behind a durable cursor, so that a
client reading it every minute stays equal to a full re-read, deletions included.

The entries are written by database triggers (`api.infra.change_log`, which explains the order
on PostgreSQL); this module decides who sees which entry and how:

* Drafts are private: their entries are listed to the team's leaders and admins only. When a
  draft is published, the event and each of its shifts appear to everyone else as CREATED
  (to the leaders, who saw the draft made, as UPDATED). A draft deleted or withdrawn before it
  was published leaves no trace for anyone else; a published event that is cancelled or
  completed is UPDATED (its status says which; `EventFilter.statuses` lists them).
* A shift's changes (a seat taken, a shift added or removed) are changes of its event too
  (`Event.seatsTaken`, `Event.shifts`): both are listed, so a client following events alone
  keeps their seat counts.
* An entry names the object, not its content: the client reads the object again (`nodes`),
  and an object that reads as null is gone for this caller (deleted, or no longer visible).
* Entries are kept `LINLI_CHANGE_RETENTION_DAYS` (35 by default, never fewer than 30); the
  scheduler prunes older ones and moves the *horizon*. A cursor before the horizon may have
  missed entries: it answers CURSOR_EXPIRED, and the client reads everything again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from api.domain.actors import Actor
from api.infra import change_log, clock
from api.infra.change_log import Entry, Position
from api.settings import get_settings

CURSOR_EXPIRED = "CURSOR_EXPIRED"
INVALID_INPUT = "INVALID_INPUT"
START = Position(0, 0)


class ChangeKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


class ChangeType(StrEnum):
    EVENT = "EVENT"
    SHIFT = "SHIFT"
    TEAM = "TEAM"
    COMMUNITY = "COMMUNITY"


TYPENAMES = {
    ChangeType.EVENT: "Event",
    ChangeType.SHIFT: "Shift",
    ChangeType.TEAM: "Team",
    ChangeType.COMMUNITY: "Community",
}


class FeedError(Exception):
    """A cursor that cannot be followed: malformed (INVALID_INPUT) or expired (CURSOR_EXPIRED)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Change:
    entry_id: int
    cursor: str
    kind: ChangeKind
    typename: str
    object_id: int
    at: datetime


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    has_next: bool
    has_previous: bool
    #: The end of the feed now: where a client starts following after reading everything.
    current_cursor: str
    after: Position
    typenames: tuple[str, ...] | None
    team_ids: tuple[int, ...] | None


# Cursors ---------------------------------------------------------------------------------------


def encode_cursor(position: Position) -> str:
    raw = f"change:{position.xact_id}:{position.entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = cursor.strip() + "=" * (-len(cursor.strip()) % 4)
        tag, xact, entry = base64.urlsafe_b64decode(raw.encode()).decode().split(":")
        position = Position(int(xact), int(entry))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise FeedError(INVALID_INPUT, "`after` is not a cursor of the change feed.") from None
    if tag != "change" or position.xact_id < 0 or position.entry_id < 0:
        raise FeedError(INVALID_INPUT, "`after` is not a cursor of the change feed.")
    if max(position.xact_id, position.entry_id) >= 2**63:
        raise FeedError(INVALID_INPUT, "`after` is not a cursor of the change feed.")
    return position


def _expired() -> FeedError:
    days = get_settings().change_retention_days
    return FeedError(
        CURSOR_EXPIRED,
        f"This cursor is older than the change feed keeps changes ({days} days), or comes from "
        "another copy of the database: some changes after it are no longer listed. Read "
        "everything again (events, shifts, teams, communities), then follow the feed from "
        "`currentCursor`.",
    )


# Who sees what ---------------------------------------------------------------------------------


async def _team_scope(actor: Actor) -> tuple[int, ...] | None:
    """The teams whose drafts' entries the actor sees besides the public ones (None: all)."""
    if actor.is_admin:
        return None
    return tuple(sorted(await actor.led_team_ids()))


def _visible(entry: Entry, team_ids: tuple[int, ...] | None) -> bool:
    return team_ids is None or entry.public or entry.team_id in team_ids


def _shown(entry: Entry, team_ids: tuple[int, ...] | None) -> Change:
    kind = ChangeKind(entry.kind)
    saw_the_draft = team_ids is None or entry.team_id in team_ids
    if entry.became_public and not saw_the_draft:
        kind = ChangeKind.CREATED
    return Change(
        entry_id=entry.position.entry_id,
        cursor=encode_cursor(entry.position),
        kind=kind,
        typename=entry.typename,
        object_id=entry.object_id,
        at=entry.at,
    )


# Reading ---------------------------------------------------------------------------------------


async def page(
    actor: Actor, *, after: str | None, first: int, types: Sequence[ChangeType] | None
) -> ChangePage:
    """The changes after the cursor `after` (from the oldest kept when None) the actor may
    see, oldest first, at most `first`."""
    position = decode_cursor(after) if after else START
    if after and await change_log.from_the_future(position):
        raise _expired()
    team_ids = await _team_scope(actor)
    typenames = tuple(TYPENAMES[t] for t in dict.fromkeys(types)) if types is not None else None
    entries = await change_log.read(position, first + 1, typenames=typenames, team_ids=team_ids)
    # Read the horizon after the entries: had pruning passed the cursor before they were read,
    # it shows now (see change_log.prune).
    if after and position < await change_log.horizon():
        raise _expired()
    end = await change_log.end()
    return ChangePage(
        changes=[_shown(entry, team_ids) for entry in entries[:first]],
        has_next=len(entries) > first,
        has_previous=bool(after),
        current_cursor=encode_cursor(max(end, position)),
        after=position,
        typenames=typenames,
        team_ids=team_ids,
    )


async def count(page: ChangePage) -> int:
    """How many changes follow the page's `after` for the same caller and types."""
    return await change_log.count(page.after, typenames=page.typenames, team_ids=page.team_ids)


async def change_by_id(actor: Actor, entry_id: int) -> Change | None:
    """One change by its id (`node(id:)`), if the actor may see it and it is still kept."""
    entry = await change_log.entry(entry_id)
    if entry is None:
        return None
    team_ids = await _team_scope(actor)
    return _shown(entry, team_ids) if _visible(entry, team_ids) else None


# Retention -------------------------------------------------------------------------------------


async def prune_expired() -> int:
    """Deletes a batch of the entries older than the retention (the scheduler's job; it runs
    again at once while there are more)."""
    now = clock.now()
    keep = timedelta(days=get_settings().change_retention_days)
    return await change_log.prune(now - keep, now)
