"""Data for the storm, written through the ORM before the server starts: an admin, a
published event with one shift of `capacity` seats (and two more events, for idempotency
checks), and many volunteer accounts in one bulk insert. Volunteers then act with a signed
session cookie each (`client.cookie_for`), so no argon2 log-in is needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from api.http.ids import encode_id
from api.models import Shift, Volunteer
from tests.support import factories
from tests.support.databases import orm

STORM_PHONES = 15000000000


@dataclass
class StormSetup:
    shift_id: int
    other_shift_ids: list[int]
    volunteer_ids: list[int]
    admin_id: int

    @property
    def shift_gid(self) -> str:
        return encode_id("Shift", self.shift_id)


async def many_volunteers(count: int, first_phone: int = STORM_PHONES) -> list[int]:
    """`count` volunteers (邻居0000, 邻居0001, …) in bulk, in the open ORM; their ids in order."""
    await Volunteer.bulk_create(
        [
            Volunteer(
                phone=str(first_phone + i),
                password_hash=factories.password_hash(),
                display_name=f"邻居{i:04d}",
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    rows = await (
        Volunteer.filter(phone__gte=str(first_phone), phone__lt=str(first_phone + count))
        .order_by("phone")
        .values("id")
    )
    ids = [int(r["id"]) for r in rows]
    await factories.open_sessions(ids)  # so that `client.cookie_for` acts as each of them
    return ids


async def open_sessions(url: str, volunteer_ids: list[int]) -> None:
    """Harness sessions for volunteers of an existing database (before a server starts), so
    that `client.cookie_for` works for them."""
    async with orm(url):
        await factories.open_sessions(volunteer_ids)


async def seed_storm(url: str, volunteers: int, capacity: int) -> StormSetup:
    """Opens the ORM on `url`, writes the storm's data (see the module), closes the ORM."""
    async with orm(url):
        admin = await factories.volunteer("管理员", admin=True)
        team = await factories.team("邻里互助队", leaders=(admin,))
        event = await factories.event(team, title="义诊", capacities=(capacity,))
        later = factories.soon(days=5)
        others = [
            await factories.event(team, title=f"义剪 {i}", starts_at=later + timedelta(days=i))
            for i in range(2)
        ]
        shift_id = (await Shift.get(event_id=event.id)).id
        other_shift_ids = [(await Shift.get(event_id=e.id)).id for e in others]
        ids = await many_volunteers(volunteers)
        return StormSetup(shift_id, other_shift_ids, ids, admin.id)
