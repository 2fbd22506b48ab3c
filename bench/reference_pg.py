"""The reference point for bench/api_throughput.py on PostgreSQL: the same hand-written
endpoints as `reference_app.py` (same SQL, same JSON, authentication included), on asyncpg
with a pool per worker and prepared statements (asyncpg's statement cache). Run with uvicorn,
as many workers as Linli gets:

    REFERENCE_DSN=postgresql://… .venv/bin/uvicorn --app-dir bench --workers 4 reference_pg:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import reference_common as common
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.http.sessions import SESSION_COOKIE
from api.infra.keys import session_key

SQL = {
    name: common.numbered(getattr(common, name))
    for name in (
        "EVENTS_SQL",
        "SESSION_SQL",
        "TOKEN_SQL",
        "MY_SHIFTS_SQL",
        "EVENT_SQL",
        "LEADS_SQL",
        "SHIFTS_OF_EVENT_SQL",
        "ROSTER_SQL",
    )
}
SHIFTS_OF_EVENTS_SQL = common.SHIFTS_OF_EVENTS_SQL.format(marks="SELECT unnest($1::int[])")
ts = common.iso_datetime
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    dsn = os.environ["REFERENCE_DSN"].replace("postgres://", "postgresql://", 1)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    try:
        yield
    finally:
        await pool.close()


def db() -> asyncpg.Pool:
    assert pool is not None
    return pool


async def viewer(connection: Any, request: Request) -> Any:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    digest = common.session_digest(session_key(), token)
    return await connection.fetchrow(SQL["SESSION_SQL"], digest, datetime.now(UTC))


async def events(request: Request) -> JSONResponse:
    async with db().acquire() as connection:
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            digest = common.token_digest(secret.strip())
            if await connection.fetchrow(SQL["TOKEN_SQL"], digest, datetime.now(UTC)) is None:
                error = {"message": "The API token is unknown, expired or revoked."}
                return JSONResponse({"errors": [error]}, status_code=401)
        rows = await connection.fetch(SQL["EVENTS_SQL"], datetime.now(UTC), common.PAGE)
        shifts = await connection.fetch(SHIFTS_OF_EVENTS_SQL, [r[0] for r in rows]) if rows else []
    return JSONResponse(common.events_answer(rows, shifts, ts))


async def mine(request: Request) -> JSONResponse:
    async with db().acquire() as connection:
        who = await viewer(connection, request)
        rows = await connection.fetch(SQL["MY_SHIFTS_SQL"], who[0]) if who else []
    return JSONResponse(common.my_shifts_answer(who, rows, ts))


async def organize(request: Request) -> JSONResponse:
    async with db().acquire() as connection:
        who = await viewer(connection, request)
        pk = common.pk_of(request.query_params["id"])
        event = await connection.fetchrow(SQL["EVENT_SQL"], pk)
        if event is None:
            return JSONResponse(common.organize_answer(None, False, [], [], ts))
        allowed = who is not None and (
            bool(who[2]) or await connection.fetchval(SQL["LEADS_SQL"], event[5], who[0]) > 0
        )
        shifts = await connection.fetch(SQL["SHIFTS_OF_EVENT_SQL"], event[0])
        roster = await connection.fetch(SQL["ROSTER_SQL"], event[0]) if allowed else []
    return JSONResponse(common.organize_answer(event, allowed, shifts, roster, ts))


app = Starlette(
    routes=[
        Route("/events", events, methods=["GET", "POST"]),
        Route("/mine", mine, methods=["GET", "POST"]),
        Route("/organize", organize, methods=["GET", "POST"]),
    ],
    lifespan=lifespan,
)
