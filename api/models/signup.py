from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.event import Shift
    from api.models.volunteer import Volunteer


class SignupStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    WAITLISTED = "WAITLISTED"
    CANCELLED = "CANCELLED"
    ATTENDED = "ATTENDED"
    NO_SHOW = "NO_SHOW"


class Signup(Model):
    # One volunteer on one shift. The row is reused if they cancel and sign up again.

    id = fields.IntField(primary_key=True)
    shift: fields.ForeignKeyRelation[Shift] = fields.ForeignKeyField(
        "models.Shift", related_name="signups", on_delete=fields.CASCADE
    )
    shift_id: int
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="signups", on_delete=fields.CASCADE
    )
    volunteer_id: int
    status = fields.CharEnumField(SignupStatus, max_length=16)
    # The shift's waitlist ticket taken on arrival; positions are ranks among WAITLISTED rows.
    waitlist_ticket = fields.IntField(null=True)
    idempotency_key = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    # The volunteer cancelled their own confirmed seat within the late window before the start
    # (leaders see it; reset when they sign up again).
    cancelled_late = fields.BooleanField(default=False, db_default=False)
    checked_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signup"
        unique_together = (("shift", "volunteer"), ("volunteer", "idempotency_key"))
        indexes = (("shift_id", "status", "waitlist_ticket"),)
