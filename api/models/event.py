from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.community import Community
    from api.models.team import Team


class EventKind(StrEnum):
    HAIRCUT = "HAIRCUT"
    CLINIC = "CLINIC"
    FIRE_DRILL = "FIRE_DRILL"
    LEGAL_AID = "LEGAL_AID"
    ANTI_FRAUD = "ANTI_FRAUD"
    TUTORING = "TUTORING"
    REPAIR = "REPAIR"
    CLEANUP = "CLEANUP"
    PATROL = "PATROL"
    MEETING = "MEETING"
    OTHER = "OTHER"


class EventStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


class EventSeries(Model):
    # A recurring series: the RRULE its events were expanded from.

    id = fields.IntField(primary_key=True)
    rule = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "event_series"


class Event(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    kind = fields.CharEnumField(EventKind, max_length=16)
    status = fields.CharEnumField(EventStatus, max_length=16, default=EventStatus.DRAFT)
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    location_name = fields.CharField(max_length=200, null=True)
    location_address = fields.CharField(max_length=300, null=True)
    community: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    community_id: int | None
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="events", on_delete=fields.RESTRICT
    )
    team_id: int
    series: fields.ForeignKeyNullableRelation[EventSeries] = fields.ForeignKeyField(
        "models.EventSeries", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    series_id: int | None
    cancel_reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "event"
        indexes = (
            ("status", "starts_at"),
            ("team_id", "starts_at"),
            ("community_id", "starts_at"),
            ("series_id",),
            ("updated_at",),
        )
        constraints = (CheckConstraint(check="ends_at > starts_at", name="event_ends_after_start"),)


class Shift(Model):
    # A role within an event, with its own times and seats.

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="shifts", on_delete=fields.CASCADE
    )
    event_id: int
    role = fields.CharField(max_length=100)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    seats_taken = fields.IntField(default=0)
    waitlist_count = fields.IntField(default=0)
    # Arrival order of the waitlist: every new waitlisted sign-up takes the next ticket.
    waitlist_ticket = fields.IntField(default=0)
    # Kept by database triggers on every write (seat counters included), whatever the path
    # (`api.infra.change_log`); null only in the middle of a raw INSERT.
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "shift"
        indexes = (("event_id", "starts_at"),)
        constraints = (
            CheckConstraint(check="seats_taken <= capacity", name="shift_seats_within_capacity"),
            CheckConstraint(check="seats_taken >= 0", name="shift_seats_not_negative"),
            CheckConstraint(check="waitlist_count >= 0", name="shift_waitlist_not_negative"),
            CheckConstraint(
                check="capacity >= 1 AND capacity <= 10000", name="shift_capacity_range"
            ),
            CheckConstraint(check="ends_at > starts_at", name="shift_ends_after_start"),
        )

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)
