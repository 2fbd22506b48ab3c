"""Changes that land between a request's checks and its writes (another worker's request):
each answers a userError with a stable code and leaves the counts right, never a 500.

Each test runs the competing change at the exact moment a parallel request would land (see
`meanwhile`), so the race is reproduced on every run, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.connection import connections

from api.domain import (
    appointments,
    attendance,
    checkin,
    events,
    planning,
    scheduling,
    signups,
    throttle,
    webhooks,
)
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.domain.scheduling import EventChanges
from api.graphql import query
from api.http.ids import encode_id
from api.infra import clock
from api.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    DomainEvent,
    Event,
    EventKind,
    EventStatus,
    HoursEntry,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
    Webhook,
    WebhookDelivery,
)
from tests import factories


def meanwhile(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    names: str | tuple[str, ...],
    change: Callable[[], Awaitable[object]],
    *,
    before: bool = False,
) -> None:
    """Runs `change` once, right after the first of `owner.names` (a read the request makes
    before it writes) has answered (or, `before`, right before it runs): where a parallel
    request's commit would land."""
    pending = [change]

    def wrapped(checked: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def racing(*args: Any, **kwargs: Any) -> Any:
            if before and pending:
                await pending.pop()()
            answer = await checked(*args, **kwargs)
            if pending:
                await pending.pop()()
            return answer

        return racing

    for name in (names,) if isinstance(names, str) else names:
        if hasattr(owner, name):
            monkeypatch.setattr(owner, name, wrapped(getattr(owner, name)))


async def _two_shifts(capacity: int = 1):
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(capacity, capacity))
    shift, other = await Shift.filter(event_id=event.id).order_by("id")
    return Actor(volunteer=leader), event, shift, other


async def _signed_up(shift: Shift, name: str = "志愿者") -> tuple[Actor, Signup]:
    volunteer = await factories.volunteer(name)
    actor = Actor(volunteer=volunteer)
    return actor, await signups.sign_up(actor, shift.id, f"k-{name}")


async def _refused(call: Awaitable[object]) -> ErrorCode:
    with pytest.raises(DomainError) as refused:
        await call
    return refused.value.code


async def test_cancelling_a_sign_up_whose_shift_was_removed_meanwhile(database, monkeypatch):
    """Was a 500 (the shift's row read with `.get()` in the transaction)."""
    leader, _, shift, _ = await _two_shifts()
    me, signup = await _signed_up(shift)
    meanwhile(
        monkeypatch, signups, "_signup_for_manager", lambda: planning.remove_shift(leader, shift.id)
    )
    assert await _refused(signups.cancel_signup(me, signup.id)) == ErrorCode.NOT_FOUND
    assert await Signup.filter(id=signup.id).count() == 0
    assert await DomainEvent.filter(kind="SIGNUP_CANCELLED").count() == 0


async def test_changing_the_capacity_of_a_shift_removed_meanwhile(database, monkeypatch):
    """Was a 500 (`updateShiftCapacity`, and `updateShift` with a capacity)."""
    leader, _, shift, _ = await _two_shifts()
    meanwhile(monkeypatch, Actor, "require_leader", lambda: planning.remove_shift(leader, shift.id))
    assert await _refused(signups.change_capacity(leader, shift.id, 3)) == ErrorCode.NOT_FOUND
    assert await DomainEvent.filter(kind="SHIFT_CAPACITY_CHANGED").count() == 0


async def test_renaming_a_shift_removed_meanwhile(database, monkeypatch):
    """Was a 500 (the renamed shift read with `.get()` after it was gone)."""
    leader, event, shift, other = await _two_shifts()
    meanwhile(
        monkeypatch,
        events,
        "get_event_for_organizer",
        lambda: planning.remove_shift(leader, shift.id),
    )
    renaming = scheduling.update_shift(leader, shift.id, role="新岗位")
    assert await _refused(renaming) == ErrorCode.NOT_FOUND
    assert [s.id for s in await Shift.filter(event_id=event.id)] == [other.id]


async def _on_site(shift: Shift) -> None:
    clock.set_clock(lambda: shift.starts_at + timedelta(minutes=5))


@pytest.mark.parametrize("change", ["shift removed", "sign-up cancelled"])
async def test_checking_in_while_the_sign_up_goes(database, monkeypatch, change):
    """The shift removed meanwhile (with its sign-ups) was a 500: the sign-up read after it
    was gone. A check-in that crossed a cancellation (the seat already given to the waitlist)
    answered as if it had worked, with the cancelled sign-up. Both are refused now; no hours
    are credited."""
    leader, _, shift, _ = await _two_shifts()
    me, signup = await _signed_up(shift)
    await _on_site(shift)
    if change == "shift removed":
        meanwhile(monkeypatch, throttle, "attempt", lambda: planning.remove_shift(leader, shift.id))
    else:
        meanwhile(
            monkeypatch, throttle, "attempt", lambda: signups.cancel_signup(leader, signup.id)
        )
    checking_in = checkin.check_in(me, shift.id, checkin.current_code(shift.id))
    assert await _refused(checking_in) == ErrorCode.NOT_SIGNED_UP
    statuses = await Signup.filter(id=signup.id).values_list("status", flat=True)
    assert statuses == ([] if change == "shift removed" else [SignupStatus.CANCELLED])
    assert await HoursEntry.all().count() == 0


async def test_marking_attendance_on_a_shift_removed_meanwhile(database, monkeypatch):
    """Was a 500 (an hours entry written for a sign-up that was gone: a foreign-key error)."""
    leader, _, shift, _ = await _two_shifts()
    _, signup = await _signed_up(shift)
    await _on_site(shift)
    meanwhile(monkeypatch, Actor, "require_leader", lambda: planning.remove_shift(leader, shift.id))
    marking = checkin.mark_attendance(leader, signup.id, SignupStatus.ATTENDED, None)
    assert await _refused(marking) == ErrorCode.NOT_FOUND
    assert await HoursEntry.all().count() == 0


async def test_marking_attendance_of_a_sign_up_cancelled_meanwhile(database, monkeypatch):
    """Marking a sign-up cancelled meanwhile made it ATTENDED without a seat: the shift
    counted one seat fewer than the sign-ups holding one (and the waitlist head promoted into
    that seat made it overbooked). Now refused; the seat counts stay right."""
    leader, _, shift, _ = await _two_shifts(capacity=1)
    _, signup = await _signed_up(shift, "先到")
    _, waiting = await _signed_up(shift, "后到")
    assert waiting.status == SignupStatus.WAITLISTED

    async def cancel_before_the_start() -> None:  # the waitlist head takes the seat
        clock.set_clock(lambda: shift.starts_at - timedelta(hours=2))
        await signups.cancel_signup(leader, signup.id)
        await _on_site(shift)

    await _on_site(shift)
    meanwhile(monkeypatch, Actor, "require_leader", cancel_before_the_start)
    marking = checkin.mark_attendance(leader, signup.id, SignupStatus.ATTENDED, None)
    assert await _refused(marking) == ErrorCode.INVALID_STATE
    assert (await Signup.get(id=signup.id)).status == SignupStatus.CANCELLED
    assert (await Signup.get(id=waiting.id)).status == SignupStatus.CONFIRMED
    await shift.refresh_from_db()
    holding = await Signup.filter(shift_id=shift.id, status__in=signups.SEAT_HOLDING).count()
    assert shift.seats_taken == holding == 1
    assert await HoursEntry.all().count() == 0


async def test_moving_an_event_while_a_shift_is_added(database, monkeypatch):
    """Was a 500: the event's shifts were read twice (once for the new times, once to write
    them), and a shift added in between made the two lists differ."""
    leader, event, shift, other = await _two_shifts()
    added: list[Shift] = []

    async def add() -> None:
        added.append(
            await Shift.create(
                event_id=event.id,
                role="加派",
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                capacity=1,
            )
        )

    # Right after the event's shifts were read for the new times.
    meanwhile(monkeypatch, scheduling, ("_draft_of", "_draft_and_shifts"), add)
    later = event.starts_at + timedelta(days=1)
    moved = await scheduling.update_event(leader, event.id, EventChanges(starts_at=later))
    assert moved.starts_at == later
    starts = {s.id: s.starts_at for s in await Shift.filter(event_id=event.id)}
    assert starts[shift.id] == starts[other.id] == later


# --- Lock order on PostgreSQL: the second transaction waits, neither deadlocks ---------------


async def _interleaved(
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], Awaitable[object]],
    after: Callable[[str], bool],
    second: Callable[[], Awaitable[object]],
) -> list[object]:
    """Runs `first` until it has sent the statement `after` matches (its locks so far held),
    then `second` until it waits for a lock (or ends), then lets `first` go on. Answers both
    outcomes (exceptions included): a lock-order inversion shows as PostgreSQL's deadlock
    error in one of them."""
    first_holds, go_on = asyncio.Event(), asyncio.Event()
    sent = AsyncpgDBClient.execute_query

    async def pausing(client: Any, query: str, values: list[Any] | None = None) -> Any:
        answer = await sent(client, query, values)
        if asyncio.current_task() is first_task and after(query) and not first_holds.is_set():
            first_holds.set()
            await go_on.wait()
        return answer

    async def second_once_first_holds() -> object:
        await first_holds.wait()
        return await second()

    monkeypatch.setattr(AsyncpgDBClient, "execute_query", pausing)
    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second_once_first_holds())
    holding = asyncio.create_task(first_holds.wait())
    await asyncio.wait({first_task, holding}, return_when=asyncio.FIRST_COMPLETED)
    first_holds.set()  # (a first that ended before the statement: the second runs alone)
    while not second_task.done() and not await _someone_waits_for_a_lock():
        await asyncio.wait({second_task}, timeout=0.01)
    go_on.set()
    return list(await asyncio.gather(first_task, second_task, return_exceptions=True))


async def _someone_waits_for_a_lock() -> bool:
    _, rows = await connections.get("default").execute_query(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return bool(rows[0][0])


def _postgres_only(database: str) -> None:
    if database.startswith("sqlite"):
        pytest.skip("SQLite's writers take turns: no lock order to get wrong")


def _locks(table: str) -> Callable[[str], bool]:
    return lambda query: f'FROM "{table}"' in query and "FOR " in query


def _no_failure(outcomes: list[object]) -> None:
    assert [o for o in outcomes if isinstance(o, BaseException)] == []


async def _haircut_with_slots() -> tuple[Actor, Event, list[AppointmentSlot]]:
    volunteer = await factories.volunteer("组长")
    leader = Actor(volunteer=volunteer)
    event = await factories.event(
        await factories.team(leaders=(volunteer,)), kind=EventKind.HAIRCUT
    )
    plan = appointments.SlotPlan(event.starts_at, event.ends_at, 30, 2)
    await appointments.set_slots(leader, event.id, plan)
    return leader, event, await AppointmentSlot.filter(event_id=event.id).order_by("starts_at")


async def _booked() -> tuple[Actor, Event, list[AppointmentSlot], Actor, Appointment]:
    """A haircut event with its slots, and a resident's booking of the first."""
    leader, event, slots = await _haircut_with_slots()
    resident = Actor(volunteer=await factories.volunteer("居民"))
    return leader, event, slots, resident, await appointments.book(resident, slots[0].id, "k")


async def test_cancelling_an_event_while_a_resident_cancels(database, monkeypatch):
    """Deadlocked on PostgreSQL (a 500, now a 503): the event's cancellation locked the
    appointments before their slots, a resident's cancellation the slot before the
    appointment."""
    _postgres_only(database)
    leader, event, slots, resident, booking = await _booked()
    outcomes = await _interleaved(
        monkeypatch,
        lambda: appointments.cancel(resident, booking.id),
        _locks("appointment_slot"),
        lambda: events.cancel_event(leader, event.id, "台风预警"),
    )
    _no_failure(outcomes)
    assert (await Appointment.get(id=booking.id)).status == AppointmentStatus.CANCELLED
    assert [s.places_taken for s in await AppointmentSlot.filter(event_id=event.id)] == [0] * len(
        slots
    )


async def test_replacing_slots_while_a_resident_books(database, monkeypatch):
    """Deadlocked on PostgreSQL: replacing the slots held the event's row FOR UPDATE and
    waited for the booked slot, while the booking, holding that slot, waited to write its
    appointment (which refers to the event)."""
    _postgres_only(database)
    leader, event, slots = await _haircut_with_slots()
    resident = Actor(volunteer=await factories.volunteer("居民"))
    plan = appointments.SlotPlan(event.starts_at, event.ends_at, 60, 3)
    outcomes = await _interleaved(
        monkeypatch,
        lambda: appointments.book(resident, slots[0].id, "k"),
        lambda query: query.lstrip().startswith('UPDATE "appointment_slot"'),
        lambda: appointments.set_slots(leader, event.id, plan),
    )
    _no_failure(outcomes)
    booked = await Appointment.get(booked_by_id=resident.id)
    assert booked.status == AppointmentStatus.BOOKED
    assert await AppointmentSlot.filter(id=slots[0].id, places_taken=1).exists()


async def test_booking_while_the_event_is_cancelled(database, monkeypatch):
    """A booking that held its slot while the event was cancelled stayed BOOKED on the
    cancelled event (its place counted, its resident never told)."""
    _postgres_only(database)
    leader, event, slots = await _haircut_with_slots()
    resident = Actor(volunteer=await factories.volunteer("居民"))
    outcomes = await _interleaved(
        monkeypatch,
        lambda: appointments.book(resident, slots[0].id, "k"),
        lambda query: query.lstrip().startswith('UPDATE "appointment_slot"'),
        lambda: events.cancel_event(leader, event.id, "台风预警"),
    )
    assert not isinstance(outcomes[1], BaseException), outcomes[1]
    assert not await Appointment.filter(event_id=event.id, status=AppointmentStatus.BOOKED).exists()
    assert [s.places_taken for s in await AppointmentSlot.filter(event_id=event.id)] == [0] * len(
        slots
    )


async def test_two_shifts_removed_at_once_leave_one(database, monkeypatch):
    """Each removal counted the other shift as remaining: the event was left with none."""
    _postgres_only(database)
    leader, event, shift, other = await _two_shifts()
    outcomes = await _interleaved(
        monkeypatch,
        lambda: planning.remove_shift(leader, shift.id),
        lambda query: "COUNT(" in query and '"shift"' in query,
        lambda: planning.remove_shift(leader, other.id),
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert [getattr(o, "code", o) for o in refused] == [ErrorCode.INVALID_STATE]
    assert await Shift.filter(event_id=event.id).count() == 1


# --- A row removed between a mutation's commit and the answer's fields ---------------------


async def _answer(client: httpx.AsyncClient, who: Volunteer, query: str, **variables: Any):
    factories.log_in_as(client, who)
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    return response.json()


def _removed_meanwhile(body: dict[str, Any], path: list[str]) -> None:
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(path, "NOT_FOUND")]
    assert "Unexpected" not in body["errors"][0]["message"]


async def test_a_sign_up_whose_shift_is_removed_before_the_answer(client, database, monkeypatch):
    """Was "Unexpected error." (a 500 in the log): the sign-up committed, the shift was removed
    (its sign-ups with it), then the answer's `shift` found nothing for a non-null field."""
    _, _, shift, _ = await _two_shifts()
    meanwhile(monkeypatch, signups, "sign_up", lambda: Shift.filter(id=shift.id).delete())
    query = """mutation($shift: ID!) { signUp(input: {shiftId: $shift, idempotencyKey: "k"}) {
      signup { status shift { seatsTaken } } userErrors { code } } }"""
    me = await factories.volunteer()
    body = await _answer(client, me, query, shift=encode_id("Shift", shift.id))
    _removed_meanwhile(body, ["signUp", "signup", "shift"])
    assert body["data"]["signUp"] == {"signup": None, "userErrors": []}


async def test_an_appointment_whose_slot_is_replaced_before_the_answer(
    client, database, monkeypatch
):
    """The same for a cancelled appointment whose slot, free again, was replaced at once."""
    leader, event, slots = await _haircut_with_slots()
    resident = await factories.volunteer("居民")
    booking = await appointments.book(Actor(volunteer=resident), slots[0].id, "k")
    plan = appointments.SlotPlan(event.starts_at, event.ends_at, 60, 3)
    meanwhile(
        monkeypatch, appointments, "cancel", lambda: appointments.set_slots(leader, event.id, plan)
    )
    query = """mutation($id: ID!) { cancelAppointment(input: {appointmentId: $id}) {
      appointment { status slot { startsAt } } userErrors { code } } }"""
    body = await _answer(client, resident, query, id=encode_id("Appointment", booking.id))
    _removed_meanwhile(body, ["cancelAppointment", "appointment", "slot"])
    assert not await AppointmentSlot.filter(id=slots[0].id).exists()


# --- Webhooks deleted by their owner's other tab ------------------------------------------


async def _webhook_with_a_delivery() -> tuple[Actor, Webhook, WebhookDelivery]:
    owner = await factories.volunteer("开发者")
    hook = await Webhook.create(
        volunteer=owner, url="https://203.0.113.7/hook", events="SIGNUP_CREATED", secret="s"
    )
    delivery = await WebhookDelivery.create(
        webhook=hook,
        event_type="signup.created",
        message_id="msg_1",
        payload="{}",
        delivered_at=clock.now(),
        delivery_attempts=1,
    )
    return Actor(volunteer=owner), hook, delivery


async def test_changing_a_webhook_deleted_meanwhile(database, monkeypatch):
    """Was a 500 (the changed webhook read with `.get()` after it was gone)."""
    owner, hook, _ = await _webhook_with_a_delivery()
    meanwhile(
        monkeypatch, webhooks, "_own_webhook", lambda: webhooks.delete_webhook(owner, hook.id)
    )
    changing = webhooks.update_webhook(owner, hook.id, description="新的说明")
    assert await _refused(changing) == ErrorCode.NOT_FOUND


async def test_redelivering_a_message_deleted_meanwhile(database, monkeypatch):
    """Was a 500 (the delivery read with `.get()` after its webhook was deleted, with it)."""
    owner, hook, delivery = await _webhook_with_a_delivery()
    meanwhile(monkeypatch, throttle, "quota", lambda: webhooks.delete_webhook(owner, hook.id))
    assert await _refused(webhooks.redeliver(owner, delivery.id)) == ErrorCode.NOT_FOUND


async def test_two_waitlists_promoted_at_once(database, monkeypatch):
    """Deadlocked on PostgreSQL: raising two shifts' capacities at once promoted the same two
    volunteers, ranked the other way round on each waitlist, locking them in opposite
    orders."""
    _postgres_only(database)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    shifts = []
    for days in (3, 4):  # apart in time: each may be confirmed on both
        event = await factories.event(team, starts_at=factories.soon(days=days), capacities=(1,))
        shifts.append(await Shift.get(event_id=event.id))
    first, second = await factories.volunteer("甲"), await factories.volunteer("乙")
    for shift, order in zip(shifts, ((first, second), (second, first)), strict=True):
        await signups.sign_up(Actor(volunteer=await factories.volunteer()), shift.id, "seat")
        for volunteer in order:
            await signups.sign_up(Actor(volunteer=volunteer), shift.id, f"wait-{shift.id}")
    organizer = Actor(volunteer=leader)
    outcomes = await _interleaved(
        monkeypatch,
        lambda: signups.change_capacity(organizer, shifts[0].id, 3),
        _locks("volunteer"),
        lambda: signups.change_capacity(organizer, shifts[1].id, 3),
    )
    _no_failure(outcomes)
    assert await Signup.filter(status=SignupStatus.CONFIRMED).count() == 6


@pytest.mark.parametrize("change", ["event cancelled", "shift removed"])
async def test_a_walk_in_added_while_the_shift_goes(database, monkeypatch, change):
    """A walk-in added while the event was cancelled was seated on the cancelled event (a
    confirmed sign-up nobody would tell, a seat counted); on a shift removed meanwhile it
    answered SHIFT_FULL. Now EVENT_NOT_OPEN and NOT_FOUND, and nothing is written."""
    leader, event, shift, _ = await _two_shifts(capacity=3)
    await _on_site(shift)
    if change == "event cancelled":
        expected = ErrorCode.EVENT_NOT_OPEN
        meanwhile(
            monkeypatch, throttle, "quota", lambda: events.cancel_event(leader, event.id, "暴雨")
        )
    else:
        expected = ErrorCode.NOT_FOUND
        meanwhile(monkeypatch, throttle, "quota", lambda: planning.remove_shift(leader, shift.id))
    adding = attendance.add_walk_in(leader, shift.id, "13900001111", "王阿姨")
    assert await _refused(adding) == expected
    assert await Signup.all().count() == 0
    assert set(await Shift.filter(event_id=event.id).values_list("seats_taken", flat=True)) == {0}


async def test_serving_an_appointment_while_the_event_is_cancelled(database, monkeypatch):
    """Marking served while the event was being cancelled: the cancellation had counted the
    appointment as one to free, the marking won, and the slot counted one place fewer than its
    held appointments. Now the marking waits for the cancellation and is refused."""
    _postgres_only(database)
    leader, event, slots, resident, booking = await _booked()
    outcomes = await _interleaved(
        monkeypatch,
        lambda: events.cancel_event(leader, event.id, "台风预警"),
        lambda query: query.lstrip().startswith("SELECT") and 'FROM "appointment"' in query,
        lambda: appointments.mark_served(leader, booking.id),
    )
    assert not isinstance(outcomes[0], BaseException), outcomes[0]
    assert getattr(outcomes[1], "code", outcomes[1]) == ErrorCode.INVALID_STATE
    assert (await Appointment.get(id=booking.id)).status == AppointmentStatus.CANCELLED
    assert (await AppointmentSlot.get(id=slots[0].id)).places_taken == 0


async def test_serving_an_appointment_cancelled_meanwhile(database, monkeypatch):
    """It answered as if served, with the cancelled appointment."""
    leader, _, slots, resident, booking = await _booked()
    meanwhile(
        monkeypatch,
        appointments,
        "_appointment_for",
        lambda: appointments.cancel(resident, booking.id),
    )
    serving = appointments.mark_served(leader, booking.id)
    assert await _refused(serving) == ErrorCode.INVALID_STATE
    assert (await Appointment.get(id=booking.id)).status == AppointmentStatus.CANCELLED


# --- Pages: their own operations meet the same races ----------------------------------------


async def test_a_page_sign_up_whose_shift_is_removed_before_the_answer(
    client, database, monkeypatch
):
    """The sign-up form without scripts answered a 500: the page's SignUp operation found the
    shift gone when it read the answer (the change itself was made)."""
    _, event, shift, _ = await _two_shifts()
    meanwhile(monkeypatch, signups, "sign_up", lambda: Shift.filter(id=shift.id).delete())
    factories.log_in_as(client, await factories.volunteer())
    page = f"http://testserver/events/{encode_id('Event', event.id)}"
    posted = await client.post(
        "/me",
        data={"shiftId": encode_id("Shift", shift.id)},
        headers={"Origin": "http://testserver", "Referer": page},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == page.removeprefix("http://testserver")


# --- Events deleted by an operator (straight in the database) while a request runs ----------


async def test_publishing_an_event_deleted_meanwhile(database, monkeypatch):
    """Was a 500 (the event read again after the change, gone)."""
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    draft = await factories.event(team, status=EventStatus.DRAFT)
    meanwhile(
        monkeypatch,
        events,
        "get_event_for_organizer",
        lambda: Event.filter(id=draft.id).delete(),
    )
    publishing = events.publish_event(Actor(volunteer=leader), draft.id)
    assert await _refused(publishing) == ErrorCode.NOT_FOUND
    assert await DomainEvent.filter(kind="EVENT_PUBLISHED").count() == 0


async def test_adding_a_shift_to_an_event_deleted_meanwhile(database, monkeypatch):
    """Was a 500 (a shift written for an event that was gone: a foreign-key error)."""
    leader, event, _, _ = await _two_shifts()
    meanwhile(
        monkeypatch, events, "get_event_for_organizer", lambda: Event.filter(id=event.id).delete()
    )
    adding = planning.add_shift(leader, event.id, "加派", event.starts_at, event.ends_at, 2)
    assert await _refused(adding) == ErrorCode.NOT_FOUND
    assert await Shift.all().count() == 0


async def test_a_shift_node_whose_event_is_deleted_meanwhile(client, database, monkeypatch):
    """`nodes(ids:)` answered a 500 when the event went between reading the shift and asking
    who may see it; a sync client asks for the shifts the change feed names. Now null."""
    _, event, shift, other = await _two_shifts()
    meanwhile(
        monkeypatch, query, "may_see", lambda: Event.filter(id=event.id).delete(), before=True
    )
    ids = [encode_id("Shift", s.id) for s in (shift, other)]
    body = await _answer(
        client,
        await factories.volunteer(),
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Shift { role event { title } } } }",
        ids=ids,
    )
    assert body == {"data": {"nodes": [None, None]}, "extensions": body.get("extensions")}


async def test_a_shift_whose_event_is_deleted_before_the_answer(client, database, monkeypatch):
    """Was "Unexpected error.": the answer's `event` found nothing for a non-null field."""
    leader, event, shift, _ = await _two_shifts()
    meanwhile(monkeypatch, signups, "change_capacity", lambda: Event.filter(id=event.id).delete())
    body = await _answer(
        client,
        leader.volunteer,
        """mutation($id: ID!) { updateShiftCapacity(input: {shiftId: $id, capacity: 4}) {
          shift { capacity event { title } } userErrors { code } } }""",
        id=encode_id("Shift", shift.id),
    )
    _removed_meanwhile(body, ["updateShiftCapacity", "shift", "event"])
