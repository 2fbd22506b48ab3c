"""Appointments on the pages, without scripts: the event page's free times and booking form,
/me's list with cancel, and the organizer's page (times, bookings in time order, a tap marks a
resident served, booking for a neighbour without a phone). zh-CN first."""

from __future__ import annotations

from typing import Any

import httpx

from api.domain import appointments
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.models import Appointment, AppointmentSlot, AppointmentStatus
from tests import factories
from tests.factories import log_in_as

SAME_SITE = {"Origin": "http://testserver"}


async def _post(client: httpx.AsyncClient, path: str, **fields: str) -> Any:
    return await client.post(
        path,
        content=str(httpx.QueryParams(fields)),
        headers={**SAME_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )


async def _haircut(places: int = 1):
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team)
    await appointments.set_slots(
        Actor(volunteer=leader),
        event.id,
        appointments.SlotPlan(event.starts_at, event.ends_at, 30, places),
    )
    slots = await AppointmentSlot.filter(event_id=event.id).order_by("starts_at")
    return leader, event, slots


async def test_a_resident_books_on_the_event_page_and_cancels_in_me(client, database):
    leader, event, slots = await _haircut()
    page = await client.get(f"/events/{encode_id('Event', event.id)}")
    assert "预约服务" in page.text and "登录后预约" in page.text  # anonymous: log in to book

    resident = await factories.volunteer("张阿姨")
    log_in_as(client, resident)
    page = await client.get(f"/events/{encode_id('Event', event.id)}")
    assert page.text.count('name="slotId"') == 4  # four free half-hours, no script needed
    key = page.text.split('name="idempotencyKey" value="')[1].split('"')[0]
    for _ in range(2):  # a double tap: one appointment
        answer = await _post(
            client,
            "/me",
            slotId=encode_id("AppointmentSlot", slots[1].id),
            note="坐轮椅",
            idempotencyKey=key,
        )
        assert answer.status_code == 303 and "notice" not in answer.headers["location"]
    mine = await Appointment.get(resident_id=resident.id)
    assert (mine.slot_id, mine.status, mine.note) == (
        slots[1].id,
        AppointmentStatus.BOOKED,
        "坐轮椅",
    )

    page = await client.get(f"/events/{encode_id('Event', event.id)}")
    assert "您的预约" in page.text and 'name="slotId"' not in page.text
    me = await client.get("/me")
    assert "我的预约" in me.text and event.title in me.text

    # The slot is now full for a neighbour: the page says so in zh-CN after the form post.
    log_in_as(client, await factories.volunteer("邻居"))
    full = await _post(client, "/me", slotId=encode_id("AppointmentSlot", slots[1].id))
    assert "notice=SLOT_FULL" in full.headers["location"]
    told = await client.get(full.headers["location"])
    assert "这个时间已约满" in told.text

    log_in_as(client, resident)
    cancelled = await _post(client, "/me", appointmentId=encode_id("Appointment", mine.id))
    assert cancelled.status_code == 303
    await mine.refresh_from_db()
    assert mine.status == AppointmentStatus.CANCELLED
    assert "我的预约" not in (await client.get("/me")).text


async def test_the_organizer_sees_bookings_in_time_order_and_marks_served(client, database):
    leader, event, slots = await _haircut(places=2)
    later, sooner = await factories.volunteer("李先生"), await factories.volunteer("王女士")
    await appointments.book(Actor(volunteer=later), slots[2].id, "a")
    await appointments.book(Actor(volunteer=sooner), slots[0].id, "b")
    organize = f"/events/{encode_id('Event', event.id)}/organize"

    # Someone else: no names anywhere (the organizer's page is refused).
    log_in_as(client, sooner)
    assert (await client.get(organize)).status_code == 403
    page = await client.get(f"/events/{encode_id('Event', event.id)}")
    assert "李先生" not in page.text

    log_in_as(client, leader)
    page = await client.get(organize)
    assert page.status_code == 200
    assert "居民预约" in page.text
    assert page.text.index("王女士") < page.text.index("李先生")  # time order
    assert later.phone in page.text

    first = await Appointment.get(resident_id=sooner.id)
    done = await _post(
        client, organize, action="served", appointmentId=encode_id("Appointment", first.id)
    )
    assert done.status_code == 303
    await first.refresh_from_db()
    assert first.status == AppointmentStatus.SERVED

    # A neighbour without a phone, booked on site.
    booked = await _post(
        client,
        organize,
        action="book_for",
        slotId=encode_id("AppointmentSlot", slots[3].id),
        name="陈阿公",
        building="7栋",
        phone="",
        homeVisit="on",
        address="尊湖小区7栋101",
    )
    assert booked.status_code == 303
    walk_in = await Appointment.get(resident_name="陈阿公")
    assert walk_in.home_visit and walk_in.address == "尊湖小区7栋101"
    assert walk_in.resident_id is None and walk_in.resident_phone is None

    # New times: the ones with bookings stay.
    day = event.starts_at.astimezone(factories_shanghai()).date().isoformat()
    replaced = await _post(
        client,
        organize,
        action="set_slots",
        day=day,
        minutes="60",
        places="3",
        **{
            "from": event.starts_at.astimezone(factories_shanghai()).strftime("%H:%M"),
            "to": event.ends_at.astimezone(factories_shanghai()).strftime("%H:%M"),
        },
    )
    assert replaced.status_code == 303
    left = await AppointmentSlot.filter(event_id=event.id).order_by("starts_at")
    assert [s.id for s in left if s.places_taken] == [slots[0].id, slots[2].id, slots[3].id]
    bad = await _post(client, organize, action="set_slots", day=day, minutes="x", places="3")
    assert bad.status_code == 200 and "请检查" in bad.text


def factories_shanghai():
    from api.settings import SHANGHAI

    return SHANGHAI


async def test_the_team_dashboard_counts_residents_served(client, database):
    from datetime import timedelta

    from api.infra import clock

    leader, event, slots = await _haircut(places=2)
    resident = await factories.volunteer("居民")
    mine = await appointments.book(Actor(volunteer=resident), slots[0].id, "k")
    await appointments.mark_served(Actor(volunteer=leader), mine.id)
    clock.set_clock(lambda: event.starts_at + timedelta(hours=1))
    log_in_as(client, leader)
    page = await client.get(f"/teams/{encode_id('Team', event.team_id)}/dashboard")
    assert page.status_code == 200
    assert "服务居民" in page.text and "义剪" in page.text
    csv = await client.get(f"/teams/{encode_id('Team', event.team_id)}/dashboard.csv")
    assert "residents_served,1" in csv.text.replace("\r", "")
    assert "residents_served_by_kind,HAIRCUT,1" in csv.text.replace("\r", "")
