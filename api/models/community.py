from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CommunityLevel(StrEnum):
    DISTRICT = "DISTRICT"  # 镇 / 街道: a town or sub-district
    COMMUNITY = "COMMUNITY"  # 社区
    COMPOUND = "COMPOUND"  # 小区: a residential compound


class Community(Model):
    # A place in the tree district → community → compound.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    level = fields.CharEnumField(CommunityLevel, max_length=16, default=CommunityLevel.COMMUNITY)
    parent: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "community"
        unique_together = (("parent", "name"),)
