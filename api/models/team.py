from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.community import Community
    from api.models.volunteer import Volunteer


class TeamRole(StrEnum):
    LEADER = "LEADER"
    MEMBER = "MEMBER"
    # Asked to join a team that approves its members; not a member until a leader approves.
    PENDING = "PENDING"


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    community: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="teams", null=True, on_delete=fields.RESTRICT
    )
    community_id: int | None
    # Joining needs a leader's approval (PENDING until then).
    join_approval = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "team"


class TeamMembership(Model):
    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="memberships", on_delete=fields.CASCADE
    )
    team_id: int
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="memberships", on_delete=fields.CASCADE
    )
    volunteer_id: int
    role = fields.CharEnumField(TeamRole, max_length=16, default=TeamRole.MEMBER)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team_membership"
        unique_together = (("team", "volunteer"),)
        indexes = (("volunteer_id", "role"),)
