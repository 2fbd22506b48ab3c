"""Residents book appointment slots at events (haircuts, clinics, repairs, legal aid)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.appointment import AppointmentStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint


class Migration(migrations.Migration):
    dependencies = [("models", "0009_certificates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AppointmentSlot",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "models.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="appointment_slots",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("capacity", fields.IntField()),
                ("places_taken", fields.IntField(default=0)),
            ],
            options={
                "table": "appointment_slot",
                "app": "models",
                "unique_together": (("event", "starts_at"),),
                "constraints": [
                    CheckConstraint(
                        check="places_taken <= capacity", name="appointment_slot_within_capacity"
                    ),
                    CheckConstraint(
                        check="places_taken >= 0", name="appointment_slot_not_negative"
                    ),
                    CheckConstraint(
                        check="capacity >= 1 AND capacity <= 100",
                        name="appointment_slot_capacity_range",
                    ),
                    CheckConstraint(
                        check="ends_at > starts_at", name="appointment_slot_ends_after_start"
                    ),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Appointment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "slot",
                    fields.ForeignKeyField(
                        "models.AppointmentSlot",
                        source_field="slot_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="appointments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "event",
                    fields.ForeignKeyField(
                        "models.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="appointments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "resident",
                    fields.ForeignKeyField(
                        "models.Volunteer",
                        source_field="resident_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="appointments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "booked_by",
                    fields.ForeignKeyField(
                        "models.Volunteer",
                        source_field="booked_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="appointments_booked",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("resident_name", fields.CharField(null=True, max_length=50)),
                ("resident_phone", fields.CharField(null=True, max_length=20)),
                (
                    "compound",
                    fields.ForeignKeyField(
                        "models.Community",
                        source_field="compound_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="appointments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("building", fields.CharField(null=True, max_length=50)),
                ("home_visit", fields.BooleanField(default=False)),
                ("address", fields.CharField(null=True, max_length=300)),
                ("note", fields.CharField(default="", max_length=200)),
                (
                    "status",
                    fields.CharEnumField(
                        description="BOOKED: BOOKED\nSERVED: SERVED\nCANCELLED: CANCELLED",
                        enum_type=AppointmentStatus,
                        max_length=16,
                    ),
                ),
                ("idempotency_key", fields.CharField(max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "cancelled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("served_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "appointment",
                "app": "models",
                "unique_together": (("booked_by", "idempotency_key"),),
                "indexes": [
                    Index(fields=["event_id", "starts_at"]),
                    Index(fields=["resident_id", "status"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
