"""The sign-up lifecycle through the public API: seats, waitlist, idempotency, refusals."""

import asyncio
from datetime import timedelta

from tortoise.transactions import in_transaction

from api.domain import events, signups
from api.http.ids import encode_id
from api.infra import clock
from api.models import DomainEvent, EventStatus, Shift, Signup, SignupStatus
from tests import factories
from tests.conftest import GraphQLClient

SIGN_UP = """
mutation($shift: ID!, $key: String!) {
  signUp(input: {shiftId: $shift, idempotencyKey: $key}) {
    signup { id status waitlistPosition shift { seatsTaken seatsLeft waitlistCount } }
    userErrors { code field message }
  }
}"""
CANCEL = """
mutation($id: ID!) {
  cancelSignup(input: {signupId: $id}) {
    signup { id status waitlistPosition }
    userErrors { code message }
  }
}"""
CAPACITY = """
mutation($shift: ID!, $capacity: Int!) {
  updateShiftCapacity(input: {shiftId: $shift, capacity: $capacity}) {
    shift { capacity seatsTaken waitlistCount }
    userErrors { code message }
  }
}"""


async def _shift_of(event) -> Shift:
    return await Shift.filter(event_id=event.id).first()


async def sign_up(gql, client, volunteer, shift, key="k1"):
    factories.log_in_as(client, volunteer)
    return (await gql.ok(SIGN_UP, {"shift": encode_id("Shift", shift.id), "key": key}))["signUp"]


async def test_confirmed_then_waitlisted_in_arrival_order(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    shift = await _shift_of(await factories.event(team, capacities=(2,)))
    people = [await factories.volunteer(f"v{i}") for i in range(5)]
    answers = [await sign_up(gql, client, p, shift) for p in people]
    assert [a["signup"]["status"] for a in answers] == ["CONFIRMED"] * 2 + ["WAITLISTED"] * 3
    assert [a["signup"]["waitlistPosition"] for a in answers] == [None, None, 1, 2, 3]
    assert answers[-1]["signup"]["shift"] == {"seatsTaken": 2, "seatsLeft": 0, "waitlistCount": 3}


async def test_cancelling_promotes_the_head_and_closes_up(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    shift = await _shift_of(await factories.event(team, capacities=(1,)))
    first, second, third = [await factories.volunteer(f"v{i}") for i in range(3)]
    mine = await sign_up(gql, client, first, shift)
    await sign_up(gql, client, second, shift)
    waiting = await sign_up(gql, client, third, shift)
    assert waiting["signup"]["waitlistPosition"] == 2
    factories.log_in_as(client, first)
    cancelled = (await gql.ok(CANCEL, {"id": mine["signup"]["id"]}))["cancelSignup"]
    assert cancelled["signup"]["status"] == "CANCELLED"
    promoted = await Signup.get(volunteer_id=second.id)
    assert promoted.status == SignupStatus.CONFIRMED
    factories.log_in_as(client, third)
    node = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Signup { status waitlistPosition } } }",
        {"id": waiting["signup"]["id"]},
    )
    assert node["node"] == {"status": "WAITLISTED", "waitlistPosition": 1}
    kinds = await DomainEvent.all().order_by("id").values_list("kind", flat=True)
    assert kinds == [*["SIGNUP_CREATED"] * 3, "PROMOTED_FROM_WAITLIST", "SIGNUP_CANCELLED"]
    await shift.refresh_from_db()
    assert (shift.seats_taken, shift.waitlist_count) == (1, 1)


async def test_same_key_replays_and_other_shift_mismatches(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    event = await factories.event(team, capacities=(3, 3))
    shifts = await Shift.filter(event_id=event.id).order_by("id")
    volunteer = await factories.volunteer()
    first = await sign_up(gql, client, volunteer, shifts[0], key="same")
    again = await sign_up(gql, client, volunteer, shifts[0], key="same")
    assert again["signup"]["id"] == first["signup"]["id"] and again["userErrors"] == []
    other = await sign_up(gql, client, volunteer, shifts[1], key="same")
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_MISMATCH"
    dup = await sign_up(gql, client, volunteer, shifts[0], key="new-key")
    assert dup["userErrors"][0]["code"] == "ALREADY_SIGNED_UP"
    assert await Signup.filter(volunteer_id=volunteer.id).count() == 1


async def test_ten_parallel_replays_make_one_row(client, database):
    gql = GraphQLClient(client)
    shift = await _shift_of(await factories.event(await factories.team(), capacities=(5,)))
    volunteer = await factories.volunteer()
    factories.log_in_as(client, volunteer)
    answers = await asyncio.gather(
        *[gql.ok(SIGN_UP, {"shift": encode_id("Shift", shift.id), "key": "tap"}) for _ in range(10)]
    )
    ids = {a["signUp"]["signup"]["id"] for a in answers}
    assert len(ids) == 1
    assert await Signup.filter(shift_id=shift.id).count() == 1
    await shift.refresh_from_db()
    assert shift.seats_taken == 1


async def test_refusals(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    volunteer = await factories.volunteer()
    draft = await _shift_of(await factories.event(team, status=EventStatus.DRAFT))
    cancelled = await _shift_of(await factories.event(team, status=EventStatus.CANCELLED))
    past = await _shift_of(await factories.event(team, starts_at=factories.soon(days=-2)))
    factories.log_in_as(client, None)
    anonymous = await gql.ok(SIGN_UP, {"shift": encode_id("Shift", past.id), "key": "x"})
    assert anonymous["signUp"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert (await sign_up(gql, client, volunteer, draft))["userErrors"][0]["code"] == "NOT_FOUND"
    for shift in (cancelled, past):
        answer = await sign_up(gql, client, volunteer, shift, key=f"k{shift.id}")
        assert answer["userErrors"][0]["code"] == "EVENT_NOT_OPEN"
    bad_key = await sign_up(gql, client, volunteer, past, key="")
    assert bad_key["userErrors"][0]["code"] == "INVALID_INPUT"
    assert await Signup.all().count() == 0


async def test_schedule_conflict(client, database):
    gql = GraphQLClient(client)
    team = await factories.team()
    start = factories.soon(days=4)
    a = await _shift_of(await factories.event(team, starts_at=start, hours=2))
    b = await _shift_of(await factories.event(team, starts_at=start + timedelta(hours=1)))
    c = await _shift_of(await factories.event(team, starts_at=start + timedelta(hours=2)))
    volunteer = await factories.volunteer()
    assert (await sign_up(gql, client, volunteer, a, "1"))["signup"]["status"] == "CONFIRMED"
    assert (await sign_up(gql, client, volunteer, b, "2"))["userErrors"][0]["code"] == (
        "SCHEDULE_CONFLICT"
    )
    assert (await sign_up(gql, client, volunteer, c, "3"))["signup"]["status"] == "CONFIRMED"


async def test_sign_up_again_after_cancelling_reuses_the_row(client, database):
    gql = GraphQLClient(client)
    shift = await _shift_of(await factories.event(await factories.team(), capacities=(1,)))
    volunteer = await factories.volunteer()
    first = await sign_up(gql, client, volunteer, shift, "a")
    await gql.ok(CANCEL, {"id": first["signup"]["id"]})
    again = await sign_up(gql, client, volunteer, shift, "b")
    assert again["signup"]["id"] == first["signup"]["id"]
    assert again["signup"]["status"] == "CONFIRMED"


async def test_only_owner_leader_or_admin_cancels(client, database):
    gql = GraphQLClient(client)
    leader, stranger, owner = [await factories.volunteer(n) for n in ("组长", "路人", "本人")]
    team = await factories.team(leaders=(leader,))
    shift = await _shift_of(await factories.event(team))
    signup = await sign_up(gql, client, owner, shift)
    factories.log_in_as(client, stranger)
    refused = (await gql.ok(CANCEL, {"id": signup["signup"]["id"]}))["cancelSignup"]
    assert refused["userErrors"][0]["code"] in {"NOT_FOUND", "FORBIDDEN"}
    assert (await Signup.get(volunteer_id=owner.id)).status == SignupStatus.CONFIRMED
    factories.log_in_as(client, leader)
    done = (await gql.ok(CANCEL, {"id": signup["signup"]["id"]}))["cancelSignup"]
    assert done["signup"]["status"] == "CANCELLED"


async def test_capacity_raise_promotes_and_lowering_below_confirmed_is_refused(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    shift = await _shift_of(await factories.event(team, capacities=(2,)))
    for i in range(5):
        await sign_up(gql, client, await factories.volunteer(f"v{i}"), shift)
    factories.log_in_as(client, leader)
    gid = encode_id("Shift", shift.id)
    low = (await gql.ok(CAPACITY, {"shift": gid, "capacity": 1}))["updateShiftCapacity"]
    assert low["userErrors"][0]["code"] == "CAPACITY_BELOW_CONFIRMED"
    high = (await gql.ok(CAPACITY, {"shift": gid, "capacity": 4}))["updateShiftCapacity"]
    assert high["shift"] == {"capacity": 4, "seatsTaken": 4, "waitlistCount": 1}
    confirmed = await Signup.filter(status=SignupStatus.CONFIRMED).order_by("id")
    assert [s.volunteer_id for s in confirmed] == sorted(s.volunteer_id for s in confirmed)
    assert await DomainEvent.filter(kind="PROMOTED_FROM_WAITLIST").count() == 2


async def test_cancelling_an_event_cancels_its_signups(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(1,))
    shift = await _shift_of(event)
    for i in range(3):
        await sign_up(gql, client, await factories.volunteer(f"v{i}"), shift)
    factories.log_in_as(client, leader)
    answer = await gql.ok(
        'mutation($id: ID!) { cancelEvent(input: {eventId: $id, reason: "台风预警"}) '
        "{ event { status cancelReason } userErrors { code } } }",
        {"id": encode_id("Event", event.id)},
    )
    assert answer["cancelEvent"]["event"] == {"status": "CANCELLED", "cancelReason": "台风预警"}
    assert await Signup.filter(status=SignupStatus.CANCELLED).count() == 3
    await shift.refresh_from_db()
    assert (shift.seats_taken, shift.waitlist_count) == (0, 0)
    outbox = await DomainEvent.get(kind="EVENT_CANCELLED")
    assert len(outbox.payload["volunteer_ids"]) == 3


async def test_shift_that_started_is_closed_even_if_event_published(client, database):
    gql = GraphQLClient(client)
    shift = await _shift_of(await factories.event(await factories.team()))
    clock.set_clock(lambda: shift.starts_at + timedelta(minutes=1))
    answer = await sign_up(gql, client, await factories.volunteer(), shift)
    assert answer["userErrors"][0]["code"] == "EVENT_NOT_OPEN"


async def _meanwhile(monkeypatch, change) -> None:
    """Runs `change` between a sign-up's checks and its seat (where a parallel request removing
    the shift or cancelling its event would land), once."""
    checked = signups.holds_overlapping_seat
    pending = [change]

    async def racing(volunteer_id, shift):
        if pending:
            await pending.pop()()
        return await checked(volunteer_id, shift)

    monkeypatch.setattr(signups, "holds_overlapping_seat", racing)


async def test_a_shift_removed_meanwhile_is_not_found_and_nothing_is_written(
    client, database, monkeypatch
):
    """Found in CI: a shift removed while a full shift's sign-up was under way answered a 500
    (the waitlist ticket of a row that was gone)."""
    gql = GraphQLClient(client)
    event = await factories.event(await factories.team(), capacities=(1, 1))
    shift = await _shift_of(event)
    await sign_up(gql, client, await factories.volunteer("先到"), shift)
    await _meanwhile(monkeypatch, lambda: Shift.filter(id=shift.id).delete())
    answer = await sign_up(gql, client, await factories.volunteer("后到"), shift)
    assert answer["signup"] is None
    assert [e["code"] for e in answer["userErrors"]] == ["NOT_FOUND"]
    assert await Signup.filter(shift_id=shift.id).count() == 0
    assert await DomainEvent.filter(kind="SIGNUP_CREATED").count() == 1


async def test_an_event_cancelled_meanwhile_takes_no_seat(client, database, monkeypatch):
    gql = GraphQLClient(client)
    event = await factories.event(await factories.team(), capacities=(3,))
    shift = await _shift_of(event)
    await sign_up(gql, client, await factories.volunteer("先到"), shift)

    async def cancel() -> None:
        async with in_transaction():
            await events.cancel_in_transaction(event, "台风预警")

    await _meanwhile(monkeypatch, cancel)
    answer = await sign_up(gql, client, await factories.volunteer("后到"), shift)
    assert [e["code"] for e in answer["userErrors"]] == ["EVENT_NOT_OPEN"]
    assert (
        "取消" in answer["userErrors"][0]["message"]
        or "cancelled" in (answer["userErrors"][0]["message"])
    )
    await shift.refresh_from_db()
    assert (shift.seats_taken, shift.waitlist_count) == (0, 0)
    assert set(await Signup.all().values_list("status", flat=True)) == {SignupStatus.CANCELLED}
