"""The sign-up storm against a real `linli serve`: 500 volunteers, one shift of 10 seats.

SQLite with `--workers 2`, PostgreSQL with `--workers 4`. Figures are printed (`pytest -s`);
`bench/storm.py` runs the same storm and writes them to `bench/results/`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.http.ids import encode_id
from tests.support.checks import assert_consistent, shift_rows, shift_state
from tests.support.client import graphql, http_client
from tests.support.databases import BACKENDS, fresh_database
from tests.support.seeding import StormSetup, seed_storm
from tests.support.server import LinliServer
from tests.support.storm import CANCEL, pk_of, post_sign_up, sign_up_storm

WORKERS = {"sqlite": 2, "postgres": 4}
VOLUNTEERS = 500
CAPACITY = 10
REPLAYERS = 60
LOCKED = "database is locked"


@dataclass
class Running:
    backend: str
    url: str
    setup: StormSetup
    server: LinliServer


@pytest.fixture(params=BACKENDS)
async def running(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[Running]:
    backend = request.param
    if backend == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database(backend, tmp_path, postgres_server)
    setup = await seed_storm(url, VOLUNTEERS + 1, CAPACITY)
    server = LinliServer(url, WORKERS[backend], tmp_path / "server.log").start()
    try:
        yield Running(backend, url, setup, server)
    finally:
        server.stop()
    server.check_log()  # no request failed inside the server, no "database is locked"


async def test_storm_seats_exactly_capacity_and_orders_the_waitlist(running: Running) -> None:
    setup, base = running.setup, running.server.base_url
    storm_volunteers = setup.volunteer_ids[:VOLUNTEERS]
    result = await sign_up_storm(base, setup.shift_gid, storm_volunteers, concurrency=VOLUNTEERS)
    print(f"\nstorm {running.backend} workers={running.server.workers}:")
    print(json.dumps(result.summary(), ensure_ascii=False))

    # Every volunteer got a clean answer: HTTP 200, no errors, no lock error anywhere.
    for answer in result.answers:
        assert answer.transport_error is None, answer.transport_error
        assert LOCKED not in answer.text
        assert answer.clean, (answer.status_code, answer.text)
    assert result.retries == 0
    confirmed = result.with_status("CONFIRMED")
    waitlisted = result.with_status("WAITLISTED")
    assert len(confirmed) == CAPACITY
    assert len(waitlisted) == VOLUNTEERS - CAPACITY
    assert all(a.signup and a.signup["waitlistPosition"] is None for a in confirmed)
    told = {a.signup["id"]: a.signup["waitlistPosition"] for a in waitlisted if a.signup}
    assert sorted(told.values()) == list(range(1, VOLUNTEERS - CAPACITY + 1))

    # The shift, as an admin sees it, agrees with what each volunteer was told.
    state = await shift_state(base, setup.shift_gid, setup.admin_id)
    assert (state["capacity"], state["seatsTaken"], state["seatsLeft"]) == (CAPACITY, CAPACITY, 0)
    assert state["waitlistCount"] == VOLUNTEERS - CAPACITY
    assert len(state["signups"]) == VOLUNTEERS
    seen = {s["id"]: (s["status"], s["waitlistPosition"]) for s in state["signups"]}
    for answer in result.answers:
        assert answer.signup is not None
        assert seen[answer.signup["id"]] == (
            answer.signup["status"],
            answer.signup["waitlistPosition"],
        )

    # The counters equal the rows; waitlist tickets are a total order (unique).
    rows = await shift_rows(running.url, setup.shift_id)
    assert_consistent(rows)
    assert rows.seats_taken == CAPACITY
    assert rows.waitlist_count == VOLUNTEERS - CAPACITY

    # Three confirmed volunteers cancel at once: the first three of the waitlist move up.
    leaving = confirmed[:3]
    async with http_client(base, 10) as http:
        cancelled = await asyncio.gather(
            *(
                graphql(http, CANCEL, {"input": {"signupId": a.signup["id"]}}, a.volunteer_id)
                for a in leaving
                if a.signup
            )
        )
    for body in cancelled:
        assert "errors" not in body, body
        payload = body["data"]["cancelSignup"]
        assert payload["userErrors"] == [] and payload["signup"]["status"] == "CANCELLED"

    after = await shift_state(base, setup.shift_gid, setup.admin_id)
    assert (after["seatsTaken"], after["waitlistCount"]) == (CAPACITY, VOLUNTEERS - CAPACITY - 3)
    now = {s["id"]: (s["status"], s["waitlistPosition"]) for s in after["signups"]}
    for signup_id, position in told.items():
        if position <= 3:
            assert now[signup_id] == ("CONFIRMED", None), (position, now[signup_id])
        else:
            assert now[signup_id] == ("WAITLISTED", position - 3)
    for a in leaving:
        assert a.signup and now[a.signup["id"]] == ("CANCELLED", None)
    rows = await shift_rows(running.url, setup.shift_id)
    assert_consistent(rows)
    assert rows.seats_taken == CAPACITY


async def test_replayed_sign_up_makes_one_row(running: Running) -> None:
    """Ten copies of the same sign-up (a phone retrying on a shaky network) arrive at once,
    for 60 volunteers at the same time: one row each, every copy answered with it."""
    setup, base = running.setup, running.server.base_url
    first, second = (encode_id("Shift", pk) for pk in setup.other_shift_ids)
    volunteers = setup.volunteer_ids[:REPLAYERS]
    async with http_client(base, 10 * REPLAYERS) as http:
        answers = await asyncio.gather(
            *(post_sign_up(http, first, v, f"retry-{v}") for v in volunteers for _ in range(10))
        )
        by_volunteer: dict[int, set[str]] = {}
        for answer in answers:
            assert answer.clean, (answer.volunteer_id, answer.text)
            assert answer.signup is not None
            by_volunteer.setdefault(answer.volunteer_id, set()).add(answer.signup["id"])
        assert all(len(ids) == 1 for ids in by_volunteer.values()), by_volunteer

        # The pool's idle connections may have been closed by the server meanwhile (its
        # keep-alive ended): like the app, retry a transport failure with the same key.
        volunteer = volunteers[0]
        mismatch = await post_sign_up(http, second, volunteer, f"retry-{volunteer}", retries=2)
        assert mismatch.signup is None, mismatch
        assert [e["code"] for e in mismatch.user_errors] == ["IDEMPOTENCY_MISMATCH"], mismatch
        again = await post_sign_up(http, first, volunteer, "a-new-key", retries=2)
        assert [e["code"] for e in again.user_errors] == ["ALREADY_SIGNED_UP"], again

    rows = await shift_rows(running.url, setup.other_shift_ids[0])
    assert sorted(r["id"] for r in rows.rows) == sorted(
        pk_of(next(iter(ids))) for ids in by_volunteer.values()
    )
    assert rows.seats_taken == len(rows.with_status("CONFIRMED"))
    assert rows.waitlist_count == len(rows.with_status("WAITLISTED"))
    other = await shift_rows(running.url, setup.other_shift_ids[1])
    assert other.rows == [] and other.seats_taken == 0
