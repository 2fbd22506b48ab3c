"""The enums, exposed as they are in the models: each model enum becomes a GraphQL enum of the
same name, so resolvers pass the stored values through unchanged."""

from __future__ import annotations

import strawberry

from api import models

# `strawberry.enum` registers the model's own enum class; the names below are plain aliases,
# which keeps them valid types for mypy.
strawberry.enum(models.EventKind, description="What kind of service an event is.")
strawberry.enum(models.EventStatus)
strawberry.enum(models.SignupStatus)
strawberry.enum(models.TeamRole)
strawberry.enum(models.CommunityLevel)
strawberry.enum(models.NotificationKind)

EventKind = models.EventKind
EventStatus = models.EventStatus
SignupStatus = models.SignupStatus
TeamRole = models.TeamRole
CommunityLevel = models.CommunityLevel
NotificationKind = models.NotificationKind
