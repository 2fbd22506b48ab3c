"""Requests through the ASGI app in-process (no sockets, no wrk): CPU time per request and
SQL statements per request, for one caller. What `bench/results/python-versions.md` was
measured with (one virtualenv per Python version, the same code and database), and a quick
way to profile a request:

    .venv/bin/python bench/inprocess.py events            # the home page's event list, no-cache
    .venv/bin/python bench/inprocess.py mine --requests 500 --database /tmp/demo.sqlite3
    .venv/bin/python bench/inprocess.py organize --profile /tmp/organize.prof
    .venv/bin/python bench/inprocess.py cached --concurrency 32   # cache hits, 32 at once

Callers: `events` (UpcomingEvents.graphql, anonymous, executed afresh), `cached` (the same
request without `Cache-Control: no-cache`: after the first, every one is a response-cache hit),
`mine` (MyShifts.graphql
as the volunteer with the most sign-ups), `organize` (OrganizeEvent.graphql: the event with
the most sign-ups whose team has a leader, as that leader). Without `--database`, a demo
database is made (`linli demo --volunteers 2000 --events 300`). CPU time (process time: the
interpreter and SQLite's thread) is steadier than wall time on a shared machine."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")
os.environ["LINLI_SCHEDULER"] = "off"
# Rate limits on (their charge is part of every request) but never reached: a budget this
# large is not spent by a run (the organizer page costs about 100 points), so every measured
# request is answered and none measures a refusal.
os.environ.setdefault("LINLI_RATE_LIMIT_POINTS", "1000000000")
os.environ.setdefault("LINLI_RATE_LIMIT_ANONYMOUS_POINTS", "1000000000")

from api.http.ids import encode_id  # noqa: E402
from tests.support.client import cookie_for  # noqa: E402
from tests.support.databases import load_demo, sqlite_url  # noqa: E402
from tests.support.seeding import open_sessions  # noqa: E402
from tests.support.sqlcount import count_sql  # noqa: E402

OPERATIONS = ROOT / "schema" / "operations"


def body(name: str, variables: dict[str, Any]) -> bytes:
    query = (OPERATIONS / f"{name}.graphql").read_text()
    return json.dumps({"query": query, "variables": variables, "operationName": name}).encode()


async def call(app: Any, payload: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    chunks = [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]
    return int(sent[0]["status"]), b"".join(chunks)


def request_for(caller: str, database: Path) -> tuple[bytes, dict[str, str], int | None]:
    """The caller's body, headers and the volunteer to open a session for."""
    headers = {"content-type": "application/json", "cache-control": "no-cache"}
    if caller == "cached":
        del headers["cache-control"]
    with sqlite3.connect(database) as db:
        if caller in ("events", "cached"):
            return body("UpcomingEvents", {"first": 20}), headers, None
        if caller == "mine":
            (volunteer,) = db.execute(
                "SELECT volunteer_id FROM signup GROUP BY volunteer_id"
                " ORDER BY COUNT(*) DESC, volunteer_id LIMIT 1"
            ).fetchone()
            headers.update(cookie_for(volunteer))
            return body("MyShifts", {"first": 20, "notifications": 5}), headers, volunteer
        event, volunteer = db.execute(
            "SELECT e.id, MIN(m.volunteer_id) FROM event e"
            " JOIN team_membership m ON m.team_id = e.team_id AND m.role = 'LEADER'"
            " JOIN shift s ON s.event_id = e.id JOIN signup g ON g.shift_id = s.id"
            " GROUP BY e.id ORDER BY COUNT(*) DESC, e.id LIMIT 1"
        ).fetchone()
        headers.update(cookie_for(volunteer))
        return body("OrganizeEvent", {"id": encode_id("Event", event)}), headers, volunteer


def has_harness_session(database: Path, volunteer: int) -> bool:
    with sqlite3.connect(database) as db:
        (found,) = db.execute(
            "SELECT COUNT(*) FROM user_session WHERE volunteer_id = ? AND user_agent = ?",
            (volunteer, "test harness"),
        ).fetchone()
    return bool(found)


async def measure(args: argparse.Namespace, database: Path) -> dict[str, Any]:
    from api.app import create_app

    url = sqlite_url(database)
    payload, headers, volunteer = request_for(args.caller, database)
    if volunteer is not None and not has_harness_session(database, volunteer):
        await open_sessions(url, [volunteer])
    app = create_app(url)
    async with app.router.lifespan_context(app):
        status, answer = await call(app, payload, headers)
        if status != 200 or b'"errors"' in answer:
            raise RuntimeError(f"{status}: {answer[:2000]!r}")
        with count_sql() as statements:
            await call(app, payload, headers)
        for _ in range(args.warmup):
            await call(app, payload, headers)
        profile = cProfile.Profile() if args.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()

        async def client(requests: int) -> None:
            for _ in range(requests):
                each = await call(app, payload, headers)
                if each != (status, answer):  # (a figure for other answers would mean nothing)
                    raise RuntimeError(f"an answer differed from the first: {each!r:.2000}")

        share, rest = divmod(args.requests, args.concurrency)
        await asyncio.gather(*(client(share + (i < rest)) for i in range(args.concurrency)))
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        calls = None
        if profile:
            profile.dump_stats(args.profile)
            calls = round(pstats.Stats(profile).total_calls / args.requests)  # type: ignore[attr-defined]
    return {
        "caller": args.caller,
        "concurrency": args.concurrency,
        "python": platform.python_version(),
        "requests": args.requests,
        "cpu_ms_per_request": round(cpu / args.requests * 1000, 2),
        "wall_ms_per_request": round(wall / args.requests * 1000, 2),
        "statements_per_request": len(statements),
        "function_calls_per_request": calls,
        "answer_bytes": len(answer),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("caller", choices=["events", "cached", "mine", "organize"])
    parser.add_argument("--database", type=Path, help="a SQLite file with the demo data")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests at once (as wrk's connections)"
    )
    parser.add_argument("--profile", help="write a cProfile of the measured requests here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linli-inprocess-") as tmp:
        database = args.database
        if database is None:
            database = Path(tmp) / "linli.sqlite3"
            load_demo(database, volunteers=2000, events=300)
        print(json.dumps(asyncio.run(measure(args, database))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
