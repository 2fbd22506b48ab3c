from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.team import Team
    from api.models.volunteer import Volunteer


class Certificate(Model):
    # A certificate of service hours (志愿服务记录证明): a snapshot of the hours ledger for a
    # period, kept as issued whatever changes later. Only `revoked_*` ever change.

    id = fields.IntField(primary_key=True)
    # Public and unguessable (`LL-2026-` + random base32): what a third party verifies.
    number = fields.CharField(max_length=40, unique=True)
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="certificates", on_delete=fields.RESTRICT
    )
    volunteer_id: int
    issued_by: fields.ForeignKeyNullableRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="certificates_issued", null=True, on_delete=fields.SET_NULL
    )
    issued_by_id: int | None
    # The issuing team (its leaders may revoke); its names are kept in the snapshot below.
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="certificates", null=True, on_delete=fields.SET_NULL
    )
    team_id: int | None
    period_start = fields.DateField()
    period_end = fields.DateField()
    # The snapshot, as issued.
    volunteer_name = fields.CharField(max_length=50)
    masked_phone = fields.CharField(max_length=20)
    issuer_team_name = fields.CharField(max_length=100)
    issuer_community_name = fields.CharField(max_length=300, default="")
    centihours = fields.IntField()
    # [{"date": "2026-05-01", "event": …, "role": …, "centihours": 250}, …]
    entries: Any = fields.JSONField()
    issued_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_by: fields.ForeignKeyNullableRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer",
        related_name="certificates_revoked",
        null=True,
        on_delete=fields.SET_NULL,
    )
    revoked_by_id: int | None
    revoke_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "certificate"
        indexes = (("volunteer_id", "issued_at"),)
