"""A short burst of competing changes against a real `linli serve` on PostgreSQL with four
workers: sign-ups and cancellations while the organizer removes, adds, resizes and moves
shifts and finally cancels the event; bookings and cancellations while the slots are
replaced and the event is cancelled. No answer may be "Unexpected error." and the server's log
must show no traceback; the seat counts stay equal to the sign-ups holding seats.

The interleavings differ from run to run (the deterministic reproductions of each race found
are in tests/domain/test_races.py); BURST_SEED picks another spread of arrivals."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.domain import appointments, checkin
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.models import AppointmentSlot, Event, EventKind, Shift, Signup, SignupStatus, Volunteer
from tests.support import factories
from tests.support.client import cookie_for, http_client
from tests.support.databases import fresh_database, orm
from tests.support.seeding import many_volunteers
from tests.support.server import LinliServer

WORKERS = 4
ROUNDS = 3
VOLUNTEERS = 16

SIGN_UP = """mutation($shift: ID!, $key: String!) {
  signUp(input: {shiftId: $shift, idempotencyKey: $key}) {
    signup { id status shift { seatsTaken } } userErrors { code } } }"""
CANCEL = """mutation($id: ID!) { cancelSignup(input: {signupId: $id}) {
  signup { status shift { id } } userErrors { code } } }"""
REMOVE = """mutation($id: ID!) { removeShift(input: {shiftId: $id}) {
  event { id shifts { id } } userErrors { code } } }"""
ADD = """mutation($event: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
  addShift(input: {eventId: $event, role: "加派", startsAt: $startsAt, endsAt: $endsAt,
    capacity: 2}) { shift { id } userErrors { code } } }"""
CAPACITY = """mutation($id: ID!, $capacity: Int!) {
  updateShiftCapacity(input: {shiftId: $id, capacity: $capacity}) {
    shift { seatsTaken } userErrors { code } } }"""
RENAME = """mutation($id: ID!) { updateShift(input: {shiftId: $id, role: "改名"}) {
  shift { role } userErrors { code } } }"""
MOVE = """mutation($id: ID!, $startsAt: DateTime!) {
  updateEvent(input: {eventId: $id, startsAt: $startsAt}) {
    event { shifts { startsAt } } userErrors { code } } }"""
CANCEL_EVENT = """mutation($id: ID!) { cancelEvent(input: {eventId: $id, reason: "暴雨"}) {
  event { status } userErrors { code } } }"""
BOOK = """mutation($slot: ID!, $key: String!) {
  bookAppointment(input: {slotId: $slot, idempotencyKey: $key}) {
    appointment { id status slot { placesTaken } } userErrors { code } } }"""
CANCEL_BOOKING = """mutation($id: ID!) { cancelAppointment(input: {appointmentId: $id}) {
  appointment { status slot { id } } userErrors { code } } }"""
SLOTS = """mutation($id: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
  setAppointmentSlots(input: {eventId: $id, startsAt: $startsAt, endsAt: $endsAt,
    minutesEach: 60, places: 3}) { userErrors { code } } }"""


class Burst:
    def __init__(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        self.http, self.rng = http, rng
        self.unexpected: list[Any] = []

    async def send(self, who: int, query: str, **variables: Any) -> dict[str, Any]:
        await asyncio.sleep(self.rng.random() * 0.05)  # spread the arrivals
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=cookie_for(who)
        )
        body = response.json()
        if response.status_code != 200 or "Unexpected" in response.text:
            self.unexpected.append((query.split("(")[0:2], response.status_code, body))
        return body.get("data") or {}


@pytest.fixture
async def server(tmp_path: Path, postgres_server: str | None) -> AsyncIterator[LinliServer]:
    if postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database("postgres", tmp_path, postgres_server)
    async with orm(url):
        server = LinliServer(url, WORKERS, tmp_path / "server.log").start()
        try:
            yield server
        finally:
            server.stop()
    server.check_log()


def _times_of(event: Event) -> dict[str, str]:
    return {"startsAt": event.starts_at.isoformat(), "endsAt": event.ends_at.isoformat()}


def _seat_counts_hold() -> Callable[[], Awaitable[list[tuple[int, int, int]]]]:
    async def wrong() -> list[tuple[int, int, int]]:
        found = []
        for shift in await Shift.all():
            holding = await Signup.filter(
                shift_id=shift.id,
                status__in=(SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW),
            ).count()
            if shift.seats_taken != holding:
                found.append((shift.id, shift.seats_taken, holding))
        return found

    return wrong


async def test_a_burst_of_competing_changes_answers_no_500(server: LinliServer) -> None:
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    volunteers = await many_volunteers(VOLUNTEERS)
    rng = random.Random(int(os.environ.get("BURST_SEED", "20261201")))
    async with http_client(server.base_url, 24) as http:
        burst = Burst(http, rng)
        for round_no in range(ROUNDS):
            event = await factories.event(
                team, starts_at=factories.soon(days=3 + round_no), capacities=(2, 2, 2, 2)
            )
            clinic = await factories.event(
                team, kind=EventKind.HAIRCUT, starts_at=factories.soon(days=3 + round_no)
            )
            plan = appointments.SlotPlan(clinic.starts_at, clinic.ends_at, 30, 2)
            await appointments.set_slots(Actor(volunteer=leader), clinic.id, plan)
            shifts = [s.id for s in await Shift.filter(event_id=event.id).order_by("id")]
            slots = [s.id for s in await AppointmentSlot.filter(event_id=clinic.id)]
            e_id, c_id = encode_id("Event", event.id), encode_id("Event", clinic.id)

            async def volunteer(v: int, round_no: int = round_no, shifts: list[int] = shifts):
                for attempt in range(2):
                    shift = encode_id("Shift", rng.choice(shifts))
                    data = await burst.send(v, SIGN_UP, shift=shift, key=f"{round_no}-{attempt}")
                    signup = (data.get("signUp") or {}).get("signup")
                    if signup and rng.random() < 0.6:
                        await burst.send(v, CANCEL, id=signup["id"])

            async def resident(v: int, round_no: int = round_no, slots: list[int] = slots):
                slot = encode_id("AppointmentSlot", rng.choice(slots))
                data = await burst.send(v, BOOK, slot=slot, key=f"b{round_no}")
                booked = (data.get("bookAppointment") or {}).get("appointment")
                if booked and rng.random() < 0.7:
                    await burst.send(v, CANCEL_BOOKING, id=booked["id"])

            async def organizer(event=event, clinic=clinic, shifts=shifts, e_id=e_id, c_id=c_id):
                later = (event.starts_at + timedelta(hours=1)).isoformat()
                steps = [
                    burst.send(leader.id, REMOVE, id=encode_id("Shift", shifts[0])),
                    burst.send(leader.id, REMOVE, id=encode_id("Shift", shifts[1])),
                    burst.send(leader.id, ADD, event=e_id, **_times_of(event)),
                    burst.send(leader.id, CAPACITY, id=encode_id("Shift", shifts[2]), capacity=4),
                    burst.send(leader.id, RENAME, id=encode_id("Shift", shifts[3])),
                    burst.send(leader.id, MOVE, id=e_id, startsAt=later),
                    burst.send(leader.id, SLOTS, id=c_id, **_times_of(clinic)),
                ]
                await asyncio.gather(*steps)
                await asyncio.gather(
                    burst.send(leader.id, CANCEL_EVENT, id=e_id),
                    burst.send(leader.id, CANCEL_EVENT, id=c_id),
                )

            await asyncio.gather(
                *(volunteer(v) for v in volunteers[: VOLUNTEERS // 2]),
                *(resident(v) for v in volunteers[VOLUNTEERS // 2 :]),
                organizer(),
            )
        assert burst.unexpected == []
    assert await _seat_counts_hold()() == []
    assert await Volunteer.all().count() == VOLUNTEERS + 1


CHECK_IN = """mutation($shift: ID!, $code: String!) {
  checkIn(input: {shiftId: $shift, code: $code}) { signup { status hours } userErrors { code } } }"""
MARK = """mutation($id: ID!) { markAttendance(input: {signupId: $id, status: ATTENDED}) {
  signup { status shift { id } } userErrors { code } } }"""
MARK_ALL = """mutation($id: ID!) { markAllPresent(input: {eventId: $id}) {
  markedCount userErrors { code } } }"""
WALK_IN = """mutation($shift: ID!, $phone: String!) {
  addWalkIn(input: {shiftId: $shift, phone: $phone, name: "邻居"}) {
    signup { status shift { seatsTaken } } userErrors { code } } }"""
COMPLETE = """mutation($id: ID!) { completeEvent(input: {eventId: $id}) {
  event { status } userErrors { code } } }"""


async def test_a_burst_on_site_answers_no_500(server: LinliServer) -> None:
    """On site, all at once: volunteers check in, the leaders mark attendance (one by one and
    everyone at once), add walk-ins, remove a shift and a volunteer, and close the event."""
    leaders = [await factories.volunteer(f"队长{i}") for i in range(2)]
    team = await factories.team(leaders=tuple(leaders))
    volunteers = await many_volunteers(VOLUNTEERS)
    rng = random.Random(int(os.environ.get("BURST_SEED", "20261201")))
    first, second = leaders[0].id, leaders[1].id
    async with http_client(server.base_url, 24) as http:
        burst = Burst(http, rng)
        for round_no in range(ROUNDS):
            started = datetime.now(UTC) - timedelta(minutes=10)
            event = await factories.event(team, starts_at=started, capacities=(8, 8))
            shifts = await Shift.filter(event_id=event.id).order_by("id")
            signups = []
            for i, v in enumerate(volunteers):
                shift = shifts[i % 2]
                signups.append(
                    await Signup.create(
                        shift=shift,
                        volunteer_id=v,
                        status=SignupStatus.CONFIRMED,
                        idempotency_key=f"r{round_no}",
                    )
                )
            for shift in shifts:
                await Shift.filter(id=shift.id).update(seats_taken=VOLUNTEERS // 2)
            e_id = encode_id("Event", event.id)

            async def volunteer(signup: Signup) -> None:
                code = checkin.current_code(signup.shift_id)
                await burst.send(
                    signup.volunteer_id,
                    CHECK_IN,
                    shift=encode_id("Shift", signup.shift_id),
                    code=code,
                )

            async def organizers(shifts=shifts, signups=signups, e_id=e_id, round_no=round_no):
                await asyncio.gather(
                    *(
                        burst.send(rng.choice((first, second)), MARK, id=encode_id("Signup", s.id))
                        for s in signups[::3]
                    ),
                    burst.send(second, MARK_ALL, id=e_id),
                    burst.send(first, REMOVE, id=encode_id("Shift", shifts[1].id)),
                    burst.send(first, CANCEL, id=encode_id("Signup", signups[2].id)),
                    *(
                        burst.send(
                            second,
                            WALK_IN,
                            shift=encode_id("Shift", rng.choice(shifts).id),
                            phone=f"1390000{round_no}{i:03d}",
                        )
                        for i in range(3)
                    ),
                )
                await burst.send(first, COMPLETE, id=e_id)

            await asyncio.gather(*(volunteer(s) for s in signups), organizers())
        assert burst.unexpected == []
    assert await _seat_counts_hold()() == []
