"""Residents' appointments: the slots an event offers, and the bookings in them.

Who booked (name, phone, compound and building, home-visit address, note) is shown to the
resident, the event's leaders and admins only (`appointments.may_see_details`); everyone else
sees the slot and the status."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import appointments
from api.graphql.context import Info
from api.graphql.errors import present
from api.graphql.types.enums import describe_values
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import CommunityRef, EventRef

strawberry.enum(
    models.AppointmentStatus,
    description="Where a resident's appointment stands (预约状态): BOOKED, then SERVED on "
    "site, or CANCELLED.",
)
describe_values(
    models.AppointmentStatus,
    {
        "BOOKED": "Booked (已预约): holds a place in its slot.",
        "SERVED": "The resident was served on site (已服务); still holds its place.",
        "CANCELLED": "Cancelled (已取消); the place was freed.",
    },
)
AppointmentStatus = models.AppointmentStatus


@strawberry.type(description="A time residents may book at an event, with its places.")
class AppointmentSlot(Node):
    id: strawberry.ID = global_id("AppointmentSlot")
    starts_at: datetime = strawberry.field(description="Start of the slot, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End of the slot, ISO 8601 with offset.")
    capacity: int = strawberry.field(description="Residents it serves (places, 名额).")
    places_taken: int = strawberry.field(description="Places held by BOOKED or SERVED bookings.")
    places_left: int = strawberry.field(description="Free places: capacity − placesTaken.")

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.AppointmentSlot)

    @strawberry.field(description="The event the slot belongs to.", graphql_type=EventRef)
    def event(self, root: Parent[models.AppointmentSlot], info: Info) -> Awaitable[models.Event]:
        return present(info.context.loaders.event.load(root.event_id), "event")

    @strawberry.field(description="Whether residents may book it now (published, not started).")
    async def accepts_bookings(self, root: Parent[models.AppointmentSlot], info: Info) -> bool:
        event = await info.context.loaders.event.load(root.event_id)
        return event is not None and appointments.accepts_bookings(root, event)


async def _details(info: Info, root: models.Appointment) -> bool:
    event = await info.context.loaders.event.load(root.event_id)
    team_id = event.team_id if event is not None else None
    return await appointments.may_see_details(info.context.actor, root, team_id)


@strawberry.type(
    description="A resident booked into a slot. Who it is (name, phone, place, address, note): "
    "the resident, the event's leaders and admins only; null for everyone else."
)
class Appointment(Node):
    id: strawberry.ID = global_id("Appointment")
    status: AppointmentStatus = strawberry.field(description="BOOKED, SERVED or CANCELLED.")
    starts_at: datetime = strawberry.field(description="Start of its slot, ISO 8601.")
    ends_at: datetime = strawberry.field(description="End of its slot, ISO 8601.")
    home_visit: bool = strawberry.field(description="Served at home (上门服务), not on site.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    served_at: datetime | None = strawberry.field(
        description="When the resident was marked served; null until SERVED."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Appointment)

    @strawberry.field(description="The slot booked.", graphql_type=AppointmentSlot)
    def slot(
        self, root: Parent[models.Appointment], info: Info
    ) -> Awaitable[models.AppointmentSlot]:
        return present(info.context.loaders.appointment_slot.load(root.slot_id), "slot")

    @strawberry.field(description="The event of the slot.", graphql_type=EventRef)
    def event(self, root: Parent[models.Appointment], info: Info) -> Awaitable[models.Event]:
        return present(info.context.loaders.event.load(root.event_id), "event")

    @strawberry.field(description="The resident's name (the account's, or as the leader wrote it).")
    async def resident_name(self, root: Parent[models.Appointment], info: Info) -> str | None:
        if not await _details(info, root):
            return None
        if root.resident_id is None:
            return root.resident_name
        resident = await info.context.loaders.volunteer.load(root.resident_id)
        return resident.display_name if resident else None

    @strawberry.field(
        description="The resident's phone (resident, the event's leaders, admins; null for everyone else)."
    )
    async def resident_phone(self, root: Parent[models.Appointment], info: Info) -> str | None:
        if not await _details(info, root):
            return None
        if root.resident_id is None:
            return root.resident_phone
        resident = await info.context.loaders.volunteer.load(root.resident_id)
        return resident.phone if resident else None

    @strawberry.field(graphql_type=CommunityRef | None, description="The resident's compound.")
    async def compound(
        self, root: Parent[models.Appointment], info: Info
    ) -> models.Community | None:
        if root.compound_id is None or not await _details(info, root):
            return None
        return await info.context.loaders.community.load(root.compound_id)

    @strawberry.field(
        description="Building and flat (resident, the event's leaders, admins; null for everyone else)."
    )
    async def building(self, root: Parent[models.Appointment], info: Info) -> str | None:
        return root.building if await _details(info, root) else None

    @strawberry.field(description="Where to go for a home visit (上门服务).")
    async def address(self, root: Parent[models.Appointment], info: Info) -> str | None:
        return root.address if await _details(info, root) else None

    @strawberry.field(
        description="The resident's note for the volunteers (resident, the event's leaders, admins; null for everyone else)."
    )
    async def note(self, root: Parent[models.Appointment], info: Info) -> str | None:
        return root.note if await _details(info, root) else None

    @strawberry.field(description="Whether a leader booked it for a neighbour without a phone.")
    def booked_for_neighbour(self, root: Parent[models.Appointment]) -> bool:
        return root.resident_id is None
