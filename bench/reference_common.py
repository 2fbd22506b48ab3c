"""What the hand-written references (`reference_app.py` on SQLite, `reference_pg.py` on
PostgreSQL) share: the minimal SQL of each caller's question and the JSON built from its rows,
the same JSON as Linli's GraphQL answer to the queries in `bench/api_throughput.py`.

SQL is written with `?` placeholders (SQLite); `numbered()` turns them into `$1, $2…` for
asyncpg. Times: SQLite returns Tortoise's stored text, asyncpg returns datetimes; `Times` turns
either into GraphQL's ISO 8601 form."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

PAGE = 20
ROSTER_PAGE = 100
SIGNUP_STATUSES = ("CONFIRMED", "WAITLISTED", "ATTENDED", "NO_SHOW")

EVENTS_SQL = """
SELECT id, title, kind, starts_at, ends_at FROM event
WHERE status = 'PUBLISHED' AND ends_at > ?
ORDER BY starts_at, id LIMIT ?"""

SHIFTS_OF_EVENTS_SQL = """
SELECT id, event_id, role, starts_at, ends_at, capacity, seats_taken, waitlist_count FROM shift
WHERE event_id IN ({marks}) ORDER BY starts_at, id"""

# The caller behind a session cookie (an unexpired session) and behind an API token.
SESSION_SQL = """
SELECT v.id, v.display_name, v.is_admin FROM user_session s
JOIN volunteer v ON v.id = s.volunteer_id
WHERE s.token_digest = ? AND s.expires_at > ?"""

TOKEN_SQL = """
SELECT volunteer_id FROM api_token
WHERE token_digest = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"""

# A sign-up's credited hours and, while WAITLISTED, its place in the waitlist.
_HOURS = "(SELECT SUM(h.centihours) FROM hours_entry h WHERE h.signup_id = g.id)"
_PLACE = (
    "CASE WHEN g.status = 'WAITLISTED' THEN (SELECT COUNT(*) FROM signup o"
    " WHERE o.shift_id = g.shift_id AND o.status = 'WAITLISTED'"
    " AND o.waitlist_ticket <= g.waitlist_ticket) END"
)

MY_SHIFTS_SQL = f"""
SELECT g.id, g.status, g.checked_in_at, {_HOURS}, {_PLACE},
       s.id, s.role, s.starts_at, s.ends_at, e.id, e.title, e.status, e.location_name,
       COUNT(*) OVER ()
FROM signup g JOIN shift s ON s.id = g.shift_id JOIN event e ON e.id = s.event_id
WHERE g.volunteer_id = ? AND g.status IN ('CONFIRMED', 'WAITLISTED', 'ATTENDED', 'NO_SHOW')
ORDER BY g.id LIMIT {PAGE}"""

EVENT_SQL = "SELECT id, title, status, starts_at, ends_at, team_id FROM event WHERE id = ?"
LEADS_SQL = """
SELECT COUNT(*) FROM team_membership WHERE team_id = ? AND volunteer_id = ? AND role = 'LEADER'"""
SHIFTS_OF_EVENT_SQL = """
SELECT id, role, capacity, seats_taken, waitlist_count FROM shift WHERE event_id = ?
ORDER BY starts_at, id"""
ROSTER_SQL = f"""
SELECT g.id, g.shift_id, g.status, g.checked_in_at, {_HOURS}, {_PLACE},
       v.id, v.display_name, v.phone
FROM signup g JOIN shift s ON s.id = g.shift_id JOIN volunteer v ON v.id = g.volunteer_id
WHERE s.event_id = ? ORDER BY g.shift_id, g.id"""


def numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1, $2…`."""
    parts = sql.split("?")
    return "".join(f"{part}${i + 1}" for i, part in enumerate(parts[:-1])) + parts[-1]


def gid(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def pk_of(global_id: str) -> int:
    raw = global_id + "=" * (-len(global_id) % 4)
    return int(base64.urlsafe_b64decode(raw).decode().partition(":")[2])


def session_digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cookie_token(cookie_header: str, name: str) -> str | None:
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


Times = Callable[[Any], str | None]


def iso_text(stored: str | None) -> str | None:
    """Tortoise stores "2026-11-28 01:00:00+00:00" in SQLite; GraphQL writes "T"."""
    return None if stored is None else stored.replace(" ", "T", 1)


def iso_datetime(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def hours(centihours: int | None) -> float | None:
    return None if centihours is None else int(centihours) / 100


def events_answer(events: Sequence[Sequence[Any]], shifts: Sequence[Sequence[Any]], ts: Times):
    by_event: dict[int, list[dict[str, Any]]] = {e[0]: [] for e in events}
    for sid, event_id, role, starts, ends, capacity, taken, waiting in shifts:
        by_event[event_id].append(
            {
                "id": gid("Shift", sid),
                "role": role,
                "startsAt": ts(starts),
                "endsAt": ts(ends),
                "capacity": capacity,
                "seatsTaken": taken,
                "seatsLeft": max(capacity - taken, 0),
                "waitlistCount": waiting,
            }
        )
    nodes = []
    for eid, title, kind, starts, ends in events:
        own = by_event[eid]
        nodes.append(
            {
                "id": gid("Event", eid),
                "title": title,
                "kind": kind,
                "startsAt": ts(starts),
                "endsAt": ts(ends),
                "capacity": sum(s["capacity"] for s in own),
                "seatsTaken": sum(s["seatsTaken"] for s in own),
                "seatsLeft": sum(s["seatsLeft"] for s in own),
                "waitlistCount": sum(s["waitlistCount"] for s in own),
                "shifts": own,
            }
        )
    return {"data": {"events": {"nodes": nodes}}}


def my_shifts_answer(viewer: Sequence[Any] | None, rows: Sequence[Sequence[Any]], ts: Times):
    if viewer is None:
        return {"data": {"viewer": None}}
    nodes = [
        {
            "id": gid("Signup", r[0]),
            "status": r[1],
            "checkedInAt": ts(r[2]),
            "hours": hours(r[3]),
            "waitlistPosition": None if r[4] is None else int(r[4]),
            "shift": {
                "id": gid("Shift", r[5]),
                "role": r[6],
                "startsAt": ts(r[7]),
                "endsAt": ts(r[8]),
                "event": {
                    "id": gid("Event", r[9]),
                    "title": r[10],
                    "status": r[11],
                    "location": {"name": r[12]} if r[12] else None,
                },
            },
        }
        for r in rows
    ]
    signups = {"totalCount": int(rows[0][13]) if rows else 0, "nodes": nodes}
    return {
        "data": {
            "viewer": {
                "id": gid("Volunteer", viewer[0]),
                "displayName": viewer[1],
                "signups": signups,
            }
        }
    }


def organize_answer(
    event: Sequence[Any] | None,
    allowed: bool,
    shifts: Sequence[Sequence[Any]],
    roster: Sequence[Sequence[Any]],
    ts: Times,
):
    if event is None:
        return {"data": {"node": None}}
    by_shift: dict[int, list[Sequence[Any]]] = {s[0]: [] for s in shifts}
    for row in roster:
        by_shift[row[1]].append(row)
    answer_shifts = []
    for sid, role, capacity, taken, waiting in shifts:
        rows = by_shift[sid]
        signups = None
        if allowed:
            signups = {
                "totalCount": len(rows),
                "nodes": [
                    {
                        "id": gid("Signup", r[0]),
                        "status": r[2],
                        "checkedInAt": ts(r[3]),
                        "hours": hours(r[4]),
                        "waitlistPosition": None if r[5] is None else int(r[5]),
                        "volunteer": {
                            "id": gid("Volunteer", r[6]),
                            "displayName": r[7],
                            "phone": r[8],
                        },
                    }
                    for r in rows[:ROSTER_PAGE]
                ],
            }
        answer_shifts.append(
            {
                "id": gid("Shift", sid),
                "role": role,
                "capacity": capacity,
                "seatsTaken": taken,
                "waitlistCount": waiting,
                "signups": signups,
            }
        )
    eid, title, status, starts, ends, _ = event
    node = {
        "id": gid("Event", eid),
        "title": title,
        "status": status,
        "startsAt": ts(starts),
        "endsAt": ts(ends),
        "shifts": answer_shifts,
    }
    return {"data": {"node": node}}
