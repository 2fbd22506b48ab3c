from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.event import Event, Shift
    from api.models.outbox import DomainEvent
    from api.models.volunteer import Volunteer


class NotificationKind(StrEnum):
    PROMOTED_FROM_WAITLIST = "PROMOTED_FROM_WAITLIST"
    EVENT_CHANGED = "EVENT_CHANGED"
    EVENT_CANCELLED = "EVENT_CANCELLED"
    REMINDER = "REMINDER"


class Notification(Model):
    id = fields.IntField(primary_key=True)
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="notifications", on_delete=fields.CASCADE
    )
    volunteer_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    message = fields.CharField(max_length=500)
    event: fields.ForeignKeyNullableRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    event_id: int | None
    # Exactly once per (source, recipient): a domain event or a reminder produces one row.
    source = fields.CharField(max_length=100)
    source_event: fields.ForeignKeyNullableRelation[DomainEvent] = fields.ForeignKeyField(
        "models.DomainEvent", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)
    # Outbound delivery (SMS/WeChat gateways): pending until every channel took it. A worker
    # leases a row by moving next_delivery_at ahead; a failure sets it to the retry time.
    delivered_at = fields.DatetimeField(null=True)
    delivery_attempts = fields.IntField(default=0, db_default=0)
    next_delivery_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("source", "volunteer"),)
        indexes = (("volunteer_id", "read_at"), ("delivered_at", "next_delivery_at"))


class ReminderDispatch(Model):
    # A reminder claimed for sending: unique per (sign-up, offset), so never sent twice.

    id = fields.IntField(primary_key=True)
    shift: fields.ForeignKeyRelation[Shift] = fields.ForeignKeyField(
        "models.Shift", related_name="reminders", on_delete=fields.CASCADE
    )
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="reminders", on_delete=fields.CASCADE
    )
    hours_before = fields.IntField()
    claimed_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reminder_dispatch"
        unique_together = (("shift", "volunteer", "hours_before"),)
