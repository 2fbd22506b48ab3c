from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.signup import Signup
    from api.models.volunteer import Volunteer


class HoursMethod(StrEnum):
    SELF_CHECK_IN = "SELF_CHECK_IN"
    LEADER = "LEADER"
    CORRECTION = "CORRECTION"


class HoursEntry(Model):
    # One line of the service-hours ledger. Rows are only ever added, never changed.

    id = fields.IntField(primary_key=True)
    signup: fields.ForeignKeyRelation[Signup] = fields.ForeignKeyField(
        "models.Signup", related_name="hours_entries", on_delete=fields.RESTRICT
    )
    signup_id: int
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="hours_entries", on_delete=fields.RESTRICT
    )
    volunteer_id: int
    # Hundredths of an hour, so sums stay exact.
    centihours = fields.IntField()
    method = fields.CharEnumField(HoursMethod, max_length=16)
    recorded_by: fields.ForeignKeyNullableRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="hours_recorded", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hours_entry"
        indexes = (("volunteer_id",), ("signup_id",))
