"""The reference point for bench/api_throughput.py on SQLite: the fastest honest server for
each caller's question.

A hand-written Starlette endpoint per question, one SQLite connection (the standard library's
sqlite3, no ORM, no thread hops), the minimal SQL (`reference_common.py`) and the same JSON as
Linli's GraphQL answer to `bench/api_throughput.py`'s queries (ids, enum names, ISO times,
summed seat counts, hours and places in the waitlist included), so that both servers do the
same job, the caller's authentication included:

* `GET /events` — the next 20 published events with their shifts (anonymous, or with an API
  token in `Authorization: Bearer`, which is checked);
* `GET /mine` — "my shifts": the session cookie's volunteer and their first 20 sign-ups with
  shift and event;
* `GET /organize?id=<event global id>` — an organizer's event page: the event, its shifts and
  each shift's roster (phones included) for a leader of its team.

Run with uvicorn, one worker:

    REFERENCE_DATABASE=data/linli.sqlite3 .venv/bin/uvicorn --app-dir bench reference_app:app
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from typing import Any

import reference_common as common
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.http.sessions import SESSION_COOKIE
from api.infra.keys import session_key

_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        path = os.environ["REFERENCE_DATABASE"]
        _connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return _connection


def now() -> str:
    return datetime.now(UTC).isoformat(sep=" ")


def next_events() -> dict[str, Any]:
    db = connection()
    events = db.execute(common.EVENTS_SQL, (now(), common.PAGE)).fetchall()
    shifts: list[Any] = []
    if events:
        marks = ", ".join("?" * len(events))
        shifts = db.execute(
            common.SHIFTS_OF_EVENTS_SQL.format(marks=marks), [e[0] for e in events]
        ).fetchall()
    return common.events_answer(events, shifts, common.iso_text)


def viewer(request: Request) -> tuple[Any, ...] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    digest = common.session_digest(session_key(), token)
    found: tuple[Any, ...] | None = (
        connection().execute(common.SESSION_SQL, (digest, now())).fetchone()
    )
    return found


def unauthorized() -> JSONResponse:
    error = {"message": "The API token is unknown, expired or revoked."}
    return JSONResponse({"errors": [error]}, status_code=401)


async def events(request: Request) -> JSONResponse:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        digest = common.token_digest(secret.strip())
        if connection().execute(common.TOKEN_SQL, (digest, now())).fetchone() is None:
            return unauthorized()
    return JSONResponse(next_events())


async def mine(request: Request) -> JSONResponse:
    who = viewer(request)
    rows = connection().execute(common.MY_SHIFTS_SQL, (who[0],)).fetchall() if who else []
    return JSONResponse(common.my_shifts_answer(who, rows, common.iso_text))


async def organize(request: Request) -> JSONResponse:
    db = connection()
    who = viewer(request)
    event = db.execute(common.EVENT_SQL, (common.pk_of(request.query_params["id"]),)).fetchone()
    if event is None:
        return JSONResponse(common.organize_answer(None, False, [], [], common.iso_text))
    allowed = who is not None and (
        bool(who[2]) or db.execute(common.LEADS_SQL, (event[5], who[0])).fetchone()[0] > 0
    )
    shifts = db.execute(common.SHIFTS_OF_EVENT_SQL, (event[0],)).fetchall()
    roster = db.execute(common.ROSTER_SQL, (event[0],)).fetchall() if allowed else []
    return JSONResponse(common.organize_answer(event, allowed, shifts, roster, common.iso_text))


app = Starlette(
    routes=[
        Route("/events", events, methods=["GET", "POST"]),
        Route("/mine", mine, methods=["GET", "POST"]),
        Route("/organize", organize, methods=["GET", "POST"]),
    ]
)
