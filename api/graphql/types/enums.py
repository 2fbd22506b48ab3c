"""The enums, exposed as they are in the models: each model enum becomes a GraphQL enum of the
same name, so resolvers pass the stored values through unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from api import models


def describe_values(enum: type[Enum], descriptions: Mapping[str, str]) -> None:
    """Describes the values of an enum already registered with `strawberry.enum`: the model
    and domain enums cannot carry `strawberry.enum_value` (they must not import strawberry)."""
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    assert isinstance(definition, StrawberryEnumDefinition)
    missing = {v.name for v in definition.values} - set(descriptions)
    assert not missing, f"{definition.name}: no description for {sorted(missing)}"
    for value in definition.values:
        value.description = descriptions[value.name]


# `strawberry.enum` registers the model's own enum class; the names below are plain aliases,
# which keeps them valid types for mypy.
strawberry.enum(models.EventKind, description="What kind of service an event is (活动类型).")
describe_values(
    models.EventKind,
    {
        "HAIRCUT": "Free haircuts (义剪).",
        "CLINIC": "Health check-ups and consultations (义诊).",
        "FIRE_DRILL": "Fire-safety drill or training (消防演练).",
        "LEGAL_AID": "Legal advice (法律援助).",
        "ANTI_FRAUD": "Anti-fraud awareness (反诈宣传).",
        "TUTORING": "Homework help and tutoring (课业辅导).",
        "REPAIR": "Repairs of household things (便民维修).",
        "CLEANUP": "Cleaning up shared spaces (环境清洁).",
        "PATROL": "Safety patrol (治安巡逻).",
        "MEETING": "A meeting of residents or volunteers (议事会).",
        "OTHER": "Anything else.",
    },
)
strawberry.enum(
    models.EventStatus,
    description="Where an event is in its life (活动状态): DRAFT → PUBLISHED → COMPLETED, or "
    "CANCELLED.",
)
describe_values(
    models.EventStatus,
    {
        "DRAFT": "Being prepared (草稿): seen only by its team's leaders and admins.",
        "PUBLISHED": "Public and open for sign-ups (已发布).",
        "CANCELLED": "Called off (已取消); its volunteers were told. Kept for the record.",
        "COMPLETED": "Over and closed by a leader (已结束); attendance is final.",
    },
)
strawberry.enum(
    models.SignupStatus,
    description="Where a volunteer's sign-up to a shift stands (报名状态).",
)
describe_values(
    models.SignupStatus,
    {
        "CONFIRMED": "Has a seat (已确认).",
        "WAITLISTED": "Waiting for a seat (候补); promoted in order when one frees up.",
        "CANCELLED": "Withdrawn by the volunteer or a leader (已取消); the seat was freed.",
        "ATTENDED": "Came and was checked in (已签到); the hours count.",
        "NO_SHOW": "Did not come (缺席).",
    },
)
strawberry.enum(models.TeamRole, description="A person's standing in a team (队伍角色).")
describe_values(
    models.TeamRole,
    {
        "LEADER": "Team leader (队长): organizes its events, sees its members' contacts.",
        "MEMBER": "Team member (队员).",
        "PENDING": "Asked to join a team that approves its members; not a member until a "
        "leader approves (待审核).",
    },
)
strawberry.enum(
    models.CommunityLevel,
    description="The level of a place in the tree district → community → compound.",
)
describe_values(
    models.CommunityLevel,
    {
        "DISTRICT": "A town or sub-district (镇 / 街道).",
        "COMMUNITY": "A residents' community (社区).",
        "COMPOUND": "A residential compound (小区).",
    },
)
strawberry.enum(models.NotificationKind, description="Why a volunteer was notified (通知类型).")
describe_values(
    models.NotificationKind,
    {
        "PROMOTED_FROM_WAITLIST": "A seat freed up: the waitlisted sign-up is now CONFIRMED.",
        "EVENT_CHANGED": "An event the volunteer signed up for changed (time, place, shifts).",
        "EVENT_CANCELLED": "An event the volunteer signed up for was cancelled.",
        "REMINDER": "A reminder before a shift starts.",
    },
)

EventKind = models.EventKind
EventStatus = models.EventStatus
SignupStatus = models.SignupStatus
TeamRole = models.TeamRole
CommunityLevel = models.CommunityLevel
NotificationKind = models.NotificationKind
