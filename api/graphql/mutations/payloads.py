"""Payload types and the one helper every mutation uses to turn domain errors into data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from api.domain.errors import DomainError, ValidationErrors
from api.graphql.errors import UserError, user_errors_from
from api.graphql.types import Event, Shift, Signup, Team, Volunteer

T = TypeVar("T")


async def attempt(work: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs a domain call; expected failures become `userErrors`, nothing else is caught."""
    try:
        return await work(), []
    except (DomainError, ValidationErrors) as exc:
        return None, user_errors_from(exc)


@strawberry.type
class AuthPayload:
    volunteer: Volunteer | None
    user_errors: list[UserError]


@strawberry.type
class TeamPayload:
    team: Team | None
    user_errors: list[UserError]


@strawberry.type
class EventPayload:
    event: Event | None
    user_errors: list[UserError]


@strawberry.type
class SignupPayload:
    signup: Signup | None
    user_errors: list[UserError]


@strawberry.type
class ShiftPayload:
    shift: Shift | None
    user_errors: list[UserError]
