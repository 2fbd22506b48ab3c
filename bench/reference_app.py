"""The reference point for bench/api_throughput.py: the fastest honest server for the answer
"the next 20 published events with their shifts and seat counts".

A hand-written Starlette endpoint, one SQLite connection (the standard library's sqlite3, no
ORM, no thread hops), the two minimal queries, and the same JSON as Linli's GraphQL answer to
`bench/api_throughput.py`'s query (ids, enum names, ISO times and summed seat counts included),
so that both servers do the same job. Run with uvicorn, one worker:

    REFERENCE_DATABASE=data/linli.sqlite3 .venv/bin/uvicorn --app-dir bench reference_app:app
"""

from __future__ import annotations

import base64
import os
import sqlite3
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAGE = 20

EVENTS_SQL = """
SELECT id, title, kind, starts_at, ends_at FROM event
WHERE status = 'PUBLISHED' AND ends_at > ?
ORDER BY starts_at, id LIMIT ?"""

SHIFTS_SQL = """
SELECT id, event_id, role, starts_at, ends_at, capacity, seats_taken, waitlist_count FROM shift
WHERE event_id IN ({marks}) ORDER BY starts_at, id"""

_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        path = os.environ["REFERENCE_DATABASE"]
        _connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return _connection


def gid(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def iso(stored: str) -> str:
    """Tortoise stores "2026-11-28 01:00:00+00:00"; GraphQL's DateTime is ISO 8601 with "T"."""
    return stored.replace(" ", "T", 1)


def next_events() -> dict[str, Any]:
    db = connection()
    now = datetime.now(UTC).isoformat(sep=" ")
    events = db.execute(EVENTS_SQL, (now, PAGE)).fetchall()
    shifts: dict[int, list[dict[str, Any]]] = {e[0]: [] for e in events}
    if events:
        marks = ", ".join("?" * len(events))
        for sid, event_id, role, starts, ends, capacity, taken, waiting in db.execute(
            SHIFTS_SQL.format(marks=marks), [e[0] for e in events]
        ):
            shifts[event_id].append(
                {
                    "id": gid("Shift", sid),
                    "role": role,
                    "startsAt": iso(starts),
                    "endsAt": iso(ends),
                    "capacity": capacity,
                    "seatsTaken": taken,
                    "seatsLeft": max(capacity - taken, 0),
                    "waitlistCount": waiting,
                }
            )
    nodes = []
    for eid, title, kind, starts, ends in events:
        own = shifts[eid]
        nodes.append(
            {
                "id": gid("Event", eid),
                "title": title,
                "kind": kind,
                "startsAt": iso(starts),
                "endsAt": iso(ends),
                "capacity": sum(s["capacity"] for s in own),
                "seatsTaken": sum(s["seatsTaken"] for s in own),
                "seatsLeft": sum(s["seatsLeft"] for s in own),
                "waitlistCount": sum(s["waitlistCount"] for s in own),
                "shifts": own,
            }
        )
    return {"data": {"events": {"nodes": nodes}}}


async def events(request: Request) -> JSONResponse:
    return JSONResponse(next_events())


app = Starlette(routes=[Route("/events", events, methods=["GET", "POST"])])
