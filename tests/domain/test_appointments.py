"""Residents' appointments through the public API, on SQLite and PostgreSQL: slots, bookings
that never overbook, idempotent replays, no overlapping appointments, cancelling, bookings for
neighbours without a phone, home visits, served marking, reminders and privacy."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from api.domain import appointments
from api.http.ids import encode_id
from api.http.sessions import SESSION_COOKIE
from api.infra import clock
from api.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    EventKind,
    EventStatus,
    Notification,
    NotificationKind,
)
from tests import factories
from tests.conftest import GraphQLClient

SET_SLOTS = """
mutation($e: ID!, $s: DateTime!, $t: DateTime!, $m: Int!, $p: Int!) {
  setAppointmentSlots(input: {eventId: $e, startsAt: $s, endsAt: $t, minutesEach: $m, places: $p}) {
    event { appointmentSlots { id startsAt endsAt capacity placesLeft } }
    userErrors { code field message }
  }
}"""
BOOK = """
mutation($slot: ID!, $key: String!, $note: String) {
  bookAppointment(input: {slotId: $slot, idempotencyKey: $key, note: $note}) {
    appointment { id status slot { id placesLeft } }
    userErrors { code field message }
  }
}"""
BOOK_FOR = """
mutation($input: BookAppointmentForResidentInput!) {
  bookAppointmentForResident(input: $input) {
    appointment { id status homeVisit address residentName residentPhone building
                  compound { name } bookedForNeighbour }
    userErrors { code field message }
  }
}"""
CANCEL = """
mutation($id: ID!) {
  cancelAppointment(input: {appointmentId: $id}) {
    appointment { id status slot { placesLeft } }
    userErrors { code message }
  }
}"""
SERVED = """
mutation($id: ID!) {
  markAppointmentServed(input: {appointmentId: $id}) {
    appointment { id status servedAt }
    userErrors { code message }
  }
}"""
DETAILS = """
query($id: ID!) {
  node(id: $id) {
    ... on Event {
      appointmentSlots { placesLeft }
      appointments(first: 100) { nodes { id status residentName residentPhone address note } }
    }
  }
}"""
APPOINTMENT = """
query($id: ID!) {
  node(id: $id) { ... on Appointment { id status residentName residentPhone address note } }
}"""
MINE = "{ viewer { appointments(first: 10) { nodes { id status startsAt event { title } } } } }"


def gid(kind: str, pk: int) -> str:
    return encode_id(kind, pk)


async def _haircut(*, kind: EventKind = EventKind.HAIRCUT, places: int = 2, minutes: int = 30):
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, kind=kind)
    await appointments.set_slots(
        _actor(leader),
        event.id,
        appointments.SlotPlan(event.starts_at, event.ends_at, minutes, places),
    )
    slots = await AppointmentSlot.filter(event_id=event.id).order_by("starts_at")
    return leader, event, slots


def _actor(volunteer):
    from api.domain.actors import Actor

    return Actor(volunteer=volunteer)


async def _post(http: httpx.AsyncClient, who, query: str, variables: dict[str, Any]) -> dict:
    """One request as `who` (its own cookie header: requests sent at once stay apart)."""
    headers = {"Cookie": f"{SESSION_COOKIE}={factories.session_token(who.id)}"} if who else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_leaders_define_slots_and_the_event_shows_them(client, database):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, hours=2.5)
    variables = {
        "e": gid("Event", event.id),
        "s": event.starts_at.isoformat(),
        "t": event.ends_at.isoformat(),
        "m": 15,
        "p": 2,
    }
    factories.log_in_as(client, leader)
    answer = (await gql.ok(SET_SLOTS, variables))["setAppointmentSlots"]
    assert answer["userErrors"] == []
    slots = answer["event"]["appointmentSlots"]
    assert len(slots) == 10 and all(s["capacity"] == s["placesLeft"] == 2 for s in slots)

    # Anyone sees the free slots; a member who is no leader may not define them.
    factories.log_in_as(client, None)
    seen = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Event { appointmentSlots { placesLeft } } } }",
        {"id": gid("Event", event.id)},
    )
    assert len(seen["node"]["appointmentSlots"]) == 10
    factories.log_in_as(client, await factories.volunteer())
    refused = (await gql.ok(SET_SLOTS, variables))["setAppointmentSlots"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]

    # Bad plans are refused with the field named: too many slots, outside the event.
    factories.log_in_as(client, leader)
    many = await gql.ok(
        SET_SLOTS, {**variables, "m": 5, "t": (event.starts_at + timedelta(hours=20)).isoformat()}
    )
    assert {e["code"] for e in many["setAppointmentSlots"]["userErrors"]} == {"INVALID_INPUT"}
    short = (await gql.ok(SET_SLOTS, {**variables, "m": 1}))["setAppointmentSlots"]
    assert short["userErrors"][0]["field"] == ["minutesEach"]

    # Replacing keeps a slot that holds a booking, and the planned slots overlapping it go.
    first = await AppointmentSlot.filter(event_id=event.id).order_by("starts_at").first()
    resident = await factories.volunteer("居民")
    factories.log_in_as(client, resident)
    booked = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", first.id), "key": "k"})
    assert booked["bookAppointment"]["userErrors"] == []
    factories.log_in_as(client, leader)
    again = (await gql.ok(SET_SLOTS, {**variables, "m": 30, "p": 3}))["setAppointmentSlots"]
    assert again["userErrors"] == []
    times = [(s["startsAt"], s["capacity"]) for s in again["event"]["appointmentSlots"]]
    assert times[0] == (first.starts_at.isoformat(), 2) and len(times) == 5
    assert all(capacity == 3 for _, capacity in times[1:])
    assert await Appointment.filter(slot_id=first.id, status=AppointmentStatus.BOOKED).count() == 1


async def test_storm_of_a_hundred_residents_books_exactly_two(client, database):
    _, event, slots = await _haircut(places=2)
    slot = slots[0]
    residents = [await factories.volunteer(f"居民{i}") for i in range(100)]
    answers = await asyncio.gather(
        *(
            _post(client, r, BOOK, {"slot": gid("AppointmentSlot", slot.id), "key": f"k-{r.id}"})
            for r in residents
        )
    )
    booked = [a for a in answers if a["bookAppointment"]["appointment"]]
    refused = [a["bookAppointment"]["userErrors"][0]["code"] for a in answers if a not in booked]
    assert len(booked) == 2
    assert refused == ["SLOT_FULL"] * 98
    await slot.refresh_from_db()
    assert slot.places_taken == 2
    assert await Appointment.filter(slot_id=slot.id, status=AppointmentStatus.BOOKED).count() == 2


async def test_replay_makes_one_booking_and_overlaps_are_refused_even_at_once(client, database):
    _, event, slots = await _haircut(places=5)
    resident = await factories.volunteer("居民")
    slot = gid("AppointmentSlot", slots[0].id)
    answers = await asyncio.gather(
        *(_post(client, resident, BOOK, {"slot": slot, "key": "tap"}) for _ in range(10))
    )
    assert len({a["bookAppointment"]["appointment"]["id"] for a in answers}) == 1
    assert await Appointment.filter(resident_id=resident.id).count() == 1
    await slots[0].refresh_from_db()
    assert slots[0].places_taken == 1
    mismatch = await _post(
        client, resident, BOOK, {"slot": gid("AppointmentSlot", slots[1].id), "key": "tap"}
    )
    assert mismatch["bookAppointment"]["userErrors"][0]["code"] == "IDEMPOTENCY_MISMATCH"

    # Two overlapping slots of two events at the same time, booked at once: one wins.
    other_leader = await factories.volunteer()
    other_team = await factories.team(leaders=(other_leader,))
    other = await factories.event(other_team, kind=EventKind.CLINIC, starts_at=event.starts_at)
    await appointments.set_slots(
        _actor(other_leader),
        other.id,
        appointments.SlotPlan(other.starts_at, other.ends_at, 60, 5),
    )
    clinic_slot = await AppointmentSlot.filter(event_id=other.id).order_by("starts_at").first()
    second = await factories.volunteer("另一位居民")
    pair = await asyncio.gather(
        _post(client, second, BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "a"}),
        _post(client, second, BOOK, {"slot": gid("AppointmentSlot", clinic_slot.id), "key": "b"}),
    )
    codes = sorted(
        (p["bookAppointment"]["userErrors"] or [{"code": "BOOKED"}])[0]["code"] for p in pair
    )
    assert codes == ["BOOKED", "SCHEDULE_CONFLICT"]
    assert await Appointment.filter(resident_id=second.id).count() == 1
    taken = sum(
        [
            (await AppointmentSlot.get(id=slots[0].id)).places_taken,
            (await AppointmentSlot.get(id=clinic_slot.id)).places_taken,
        ]
    )
    assert taken == 2  # the first resident's, and one of the second's

    # One appointment per event: a later slot of the same haircut day is refused.
    third = await _post(
        client, resident, BOOK, {"slot": gid("AppointmentSlot", slots[2].id), "key": "c"}
    )
    assert third["bookAppointment"]["userErrors"][0]["code"] == "ALREADY_BOOKED"


async def test_cancel_frees_the_place_and_me_lists_my_appointments(client, database):
    gql = GraphQLClient(client)
    _, event, slots = await _haircut(places=1)
    resident, neighbour = await factories.volunteer("居民"), await factories.volunteer("邻居")
    factories.log_in_as(client, resident)
    mine = await gql.ok(
        BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "k", "note": "轮椅"}
    )
    appointment = mine["bookAppointment"]["appointment"]
    assert appointment["slot"]["placesLeft"] == 0
    listed = (await gql.ok(MINE))["viewer"]["appointments"]["nodes"]
    assert [a["id"] for a in listed] == [appointment["id"]]
    assert listed[0]["event"]["title"] == event.title

    factories.log_in_as(client, neighbour)
    full = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "n"})
    assert full["bookAppointment"]["userErrors"][0]["code"] == "SLOT_FULL"
    # Another resident may not cancel it (it is not theirs: not found).
    theirs = (await gql.ok(CANCEL, {"id": appointment["id"]}))["cancelAppointment"]
    assert theirs["userErrors"][0]["code"] == "NOT_FOUND"

    factories.log_in_as(client, resident)
    cancelled = (await gql.ok(CANCEL, {"id": appointment["id"]}))["cancelAppointment"]
    assert cancelled["appointment"]["status"] == "CANCELLED"
    assert cancelled["appointment"]["slot"]["placesLeft"] == 1
    factories.log_in_as(client, neighbour)
    now_free = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "n2"})
    assert now_free["bookAppointment"]["appointment"]["status"] == "BOOKED"


async def test_leader_books_for_a_neighbour_without_a_phone_and_home_visits(client, database):
    gql = GraphQLClient(client)
    leader, event, slots = await _haircut(places=2)
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", parent=district)
    factories.log_in_as(client, leader)
    neighbour = {
        "slotId": gid("AppointmentSlot", slots[0].id),
        "idempotencyKey": "grandma",
        "name": "王阿婆",
        "compoundId": gid("Community", compound.id),
        "building": "3栋201",
    }
    done = (await gql.ok(BOOK_FOR, {"input": neighbour}))["bookAppointmentForResident"]
    assert done["userErrors"] == []
    booked = done["appointment"]
    assert booked["residentName"] == "王阿婆" and booked["residentPhone"] is None
    assert booked["compound"] == {"name": "尊湖小区"} and booked["building"] == "3栋201"
    assert booked["bookedForNeighbour"] and not booked["homeVisit"]

    # A home visit needs the address, and a service that can come to the home.
    visit = {**neighbour, "idempotencyKey": "visit", "homeVisit": True, "phone": "0595123456"}
    no_address = (await gql.ok(BOOK_FOR, {"input": visit}))["bookAppointmentForResident"]
    assert no_address["userErrors"][0]["field"] == ["address"]
    visit["address"] = "尊湖小区3栋201"
    home = (await gql.ok(BOOK_FOR, {"input": visit}))["bookAppointmentForResident"]
    assert home["appointment"]["homeVisit"] and home["appointment"]["address"] == "尊湖小区3栋201"

    drill_leader, drill, drill_slots = await _haircut(kind=EventKind.FIRE_DRILL)
    factories.log_in_as(client, drill_leader)
    refused = (
        await gql.ok(
            BOOK_FOR,
            {"input": {**visit, "slotId": gid("AppointmentSlot", drill_slots[0].id)}},
        )
    )["bookAppointmentForResident"]
    assert refused["userErrors"][0]["code"] == "HOME_VISIT_NOT_OFFERED"

    # A resident may not book for others; nor may another team's leader.
    factories.log_in_as(client, await factories.volunteer("居民"))
    forbidden = await gql.ok(BOOK_FOR, {"input": {**neighbour, "idempotencyKey": "x"}})
    assert forbidden["bookAppointmentForResident"]["userErrors"][0]["code"] == "FORBIDDEN"
    factories.log_in_as(client, drill_leader)
    other = await gql.ok(BOOK_FOR, {"input": {**neighbour, "idempotencyKey": "y"}})
    assert other["bookAppointmentForResident"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_privacy_for_every_kind_of_caller(client, database):
    gql = GraphQLClient(client)
    leader, event, slots = await _haircut(places=3)
    admin = await factories.volunteer("管理员", admin=True)
    resident = await factories.volunteer("张居民")
    member = await factories.volunteer("队员")
    await factories.team("另一队", members=(member,))
    factories.log_in_as(client, resident)
    mine = await gql.ok(
        BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "k", "note": "腿脚不便"}
    )
    appointment_id = mine["bookAppointment"]["appointment"]["id"]
    factories.log_in_as(client, leader)
    await gql.ok(
        BOOK_FOR,
        {
            "input": {
                "slotId": gid("AppointmentSlot", slots[1].id),
                "idempotencyKey": "n",
                "name": "李大爷",
                "phone": "13700000000",
                "homeVisit": True,
                "address": "5栋",
            }
        },
    )

    async def roster_as(who) -> Any:
        factories.log_in_as(client, who)
        return (await gql.ok(DETAILS, {"id": gid("Event", event.id)}))["node"]

    for who in (leader, admin):
        seen = await roster_as(who)
        names = [(a["residentName"], a["residentPhone"]) for a in seen["appointments"]["nodes"]]
        assert names == [("张居民", resident.phone), ("李大爷", "13700000000")]
    for who in (None, resident, member):
        seen = await roster_as(who)
        assert seen["appointments"] is None
        assert [s["placesLeft"] for s in seen["appointmentSlots"]][:2] == [2, 2]

    # The appointment itself: the resident sees their own details; others nothing.
    factories.log_in_as(client, resident)
    own = (await gql.ok(APPOINTMENT, {"id": appointment_id}))["node"]
    assert own["residentPhone"] == resident.phone and own["note"] == "腿脚不便"
    for who in (None, member):
        factories.log_in_as(client, who)
        assert (await gql.ok(APPOINTMENT, {"id": appointment_id}))["node"] is None
    # API tokens: the member's token sees nothing; the leader's needs READ_PERSONAL.
    from api.domain import api_tokens

    factories.log_in_as(client, None)

    async def token(who, *scopes: api_tokens.ApiScope) -> str:
        return (await api_tokens.create_token_for(who, "dashboard", list(scopes), None))[0]

    public = api_tokens.ApiScope.READ_PUBLIC
    personal = api_tokens.ApiScope.READ_PERSONAL
    as_member = await token(member, public, personal)
    body = await gql(APPOINTMENT, {"id": appointment_id}, Authorization=f"Bearer {as_member}")
    assert body["data"]["node"] is None
    public_only = await token(leader, public)
    body = await gql(DETAILS, {"id": gid("Event", event.id)}, Authorization=f"Bearer {public_only}")
    assert body["data"]["node"]["appointments"] is None
    with_personal = await token(leader, public, personal)
    body = await gql(
        DETAILS, {"id": gid("Event", event.id)}, Authorization=f"Bearer {with_personal}"
    )
    assert body["data"]["node"]["appointments"]["nodes"][0]["residentName"] == "张居民"


async def test_served_marking_counts_on_the_dashboard(client, database):
    gql = GraphQLClient(client)
    leader, event, slots = await _haircut(places=2)
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", parent=district)
    resident = await factories.volunteer("居民")
    factories.log_in_as(client, resident)
    own = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "k"})
    own_id = own["bookAppointment"]["appointment"]["id"]
    refused = (await gql.ok(SERVED, {"id": own_id}))["markAppointmentServed"]
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"

    factories.log_in_as(client, leader)
    walk_in = (
        await gql.ok(
            BOOK_FOR,
            {
                "input": {
                    "slotId": gid("AppointmentSlot", slots[0].id),
                    "idempotencyKey": "w",
                    "name": "王阿婆",
                    "compoundId": gid("Community", compound.id),
                }
            },
        )
    )["bookAppointmentForResident"]["appointment"]
    for appointment_id in (own_id, walk_in["id"]):
        served = (await gql.ok(SERVED, {"id": appointment_id}))["markAppointmentServed"]
        assert served["appointment"]["status"] == "SERVED" and served["appointment"]["servedAt"]
    again = (await gql.ok(CANCEL, {"id": own_id}))["cancelAppointment"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE"

    # The event has started (figures count events held): one haircut each for two places.
    clock.set_clock(lambda: event.starts_at + timedelta(minutes=30))
    answer = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Team { stats { residentsServed"
        " residentsServedByKind { kind count } residentsServedByPlace { place count } } } } }",
        {"id": gid("Team", event.team_id)},
    )
    stats = answer["node"]["stats"]
    assert stats["residentsServed"] == 2
    assert stats["residentsServedByKind"] == [{"kind": "HAIRCUT", "count": 2}]
    places = {p["place"]: p["count"] for p in stats["residentsServedByPlace"]}
    assert places == {"尊湖小区": 1, "": 1}


async def test_a_reminder_before_the_appointment_once(client, database):
    _, event, slots = await _haircut(places=2)
    resident = await factories.volunteer("居民")
    await appointments.book(_actor(resident), slots[0].id, "k")
    clock.set_clock(lambda: slots[0].starts_at - timedelta(hours=1))
    assert await appointments.send_due_reminders() == 1
    assert await appointments.send_due_reminders() == 0
    notice = await Notification.get(volunteer_id=resident.id)
    assert notice.kind == NotificationKind.REMINDER and event.title in notice.message


async def test_drafts_and_started_slots_take_no_bookings(client, database):
    gql = GraphQLClient(client)
    leader, event, slots = await _haircut(places=2)
    resident = await factories.volunteer()
    factories.log_in_as(client, resident)
    clock.set_clock(lambda: slots[0].starts_at + timedelta(minutes=1))
    late = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", slots[0].id), "key": "k"})
    assert late["bookAppointment"]["userErrors"][0]["code"] == "EVENT_NOT_OPEN"
    clock.set_clock(None)
    event.status = EventStatus.DRAFT
    await event.save()
    hidden = await gql.ok(BOOK, {"slot": gid("AppointmentSlot", slots[1].id), "key": "k2"})
    assert hidden["bookAppointment"]["userErrors"][0]["code"] == "NOT_FOUND"
    bad = await gql.ok(BOOK, {"slot": "nonsense", "key": "k3"})
    assert bad["bookAppointment"]["userErrors"][0]["code"] == "INVALID_INPUT"


async def test_cancelling_the_event_cancels_appointments_and_tells_residents(client, database):
    from api.domain import events, notifications

    leader, event, slots = await _haircut(places=2)
    resident = await factories.volunteer("居民")
    await appointments.book(_actor(resident), slots[0].id, "k")
    await events.cancel_event(_actor(leader), event.id, "下雨")
    mine = await Appointment.get(resident_id=resident.id)
    assert mine.status == AppointmentStatus.CANCELLED
    await slots[0].refresh_from_db()
    assert slots[0].places_taken == 0
    await notifications.dispatch_pending()
    told = await Notification.get(volunteer_id=resident.id)
    assert told.kind == NotificationKind.EVENT_CANCELLED
