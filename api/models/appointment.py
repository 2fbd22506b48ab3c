from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.community import Community
    from api.models.event import Event
    from api.models.volunteer import Volunteer


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"
    SERVED = "SERVED"
    CANCELLED = "CANCELLED"


class AppointmentSlot(Model):
    # A time a resident may book at an event (a chair at the haircut, a doctor at the clinic),
    # with its own places. `places_taken` counts BOOKED and SERVED appointments.

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="appointment_slots", on_delete=fields.CASCADE
    )
    event_id: int
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    places_taken = fields.IntField(default=0)

    class Meta:
        table = "appointment_slot"
        unique_together = (("event", "starts_at"),)
        constraints = (
            CheckConstraint(
                check="places_taken <= capacity", name="appointment_slot_within_capacity"
            ),
            CheckConstraint(check="places_taken >= 0", name="appointment_slot_not_negative"),
            CheckConstraint(
                check="capacity >= 1 AND capacity <= 100", name="appointment_slot_capacity_range"
            ),
            CheckConstraint(check="ends_at > starts_at", name="appointment_slot_ends_after_start"),
        )

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.places_taken, 0)


class Appointment(Model):
    # A resident booked into a slot: a resident with an account (`resident`), or a neighbour
    # without a phone whom a leader booked (`resident` null; name, compound and building).

    id = fields.IntField(primary_key=True)
    slot: fields.ForeignKeyRelation[AppointmentSlot] = fields.ForeignKeyField(
        "models.AppointmentSlot", related_name="appointments", on_delete=fields.CASCADE
    )
    slot_id: int
    # The slot's times, copied (a slot holding bookings never moves): time order and overlaps.
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="appointments", on_delete=fields.CASCADE
    )
    event_id: int
    resident: fields.ForeignKeyNullableRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="appointments", null=True, on_delete=fields.CASCADE
    )
    resident_id: int | None
    booked_by: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="appointments_booked", on_delete=fields.CASCADE
    )
    booked_by_id: int
    resident_name = fields.CharField(max_length=50, null=True)
    resident_phone = fields.CharField(max_length=20, null=True)
    compound: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="appointments", null=True, on_delete=fields.SET_NULL
    )
    compound_id: int | None
    building = fields.CharField(max_length=50, null=True)
    home_visit = fields.BooleanField(default=False)
    address = fields.CharField(max_length=300, null=True)
    note = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(AppointmentStatus, max_length=16)
    idempotency_key = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    served_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appointment"
        unique_together = (("booked_by", "idempotency_key"),)
        indexes = (("event_id", "starts_at"), ("resident_id", "status"))
