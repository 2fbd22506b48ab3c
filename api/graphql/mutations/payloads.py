"""Mutation payloads, and the helpers that turn a domain call into one.

A payload holds what the mutation made (an ORM row, shown as the GraphQL type named by
`graphql_type=`) and `userErrors`. `answer(EventPayload.of, work)` runs the domain call: its
result fills the payload, or its expected failure (`DomainError`, `ValidationErrors`) becomes
`userErrors`; anything else is a bug and propagates. `attempt(work)` gives the two parts
separately, for a payload that holds more than the result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from api import models
from api.domain.errors import DomainError, ValidationErrors
from api.graphql.errors import USER_ERRORS, UserError, user_errors_from
from api.graphql.types.refs import EventRef, ShiftRef, SignupRef, TeamRef, VolunteerRef

T = TypeVar("T")
P = TypeVar("P")

# The one argument of every mutation (Relay's input-object style), described once.
INPUT = strawberry.argument(
    description="What to do: one input object; its fields are described on its type."
)


async def attempt(work: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs a domain call; expected failures become `userErrors`, nothing else is caught."""
    try:
        return await work(), []
    except (DomainError, ValidationErrors) as exc:
        return None, user_errors_from(exc)


async def answer(
    payload: Callable[[T | None, list[UserError]], P], work: Callable[[], Awaitable[T]]
) -> P:
    """The payload of a domain call: its result, or its expected failures as `userErrors`."""
    result, errors = await attempt(work)
    return payload(result, errors)


@strawberry.type(
    description="The answer to an account mutation (register, logIn…): the volunteer, logged in by a session cookie, or userErrors."
)
class AuthPayload:
    volunteer: models.Volunteer | None = strawberry.field(
        description="The volunteer now logged in (or changed); null on failure.",
        graphql_type=VolunteerRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(cls, volunteer: models.Volunteer | None, user_errors: list[UserError]) -> AuthPayload:
        return cls(volunteer=volunteer, user_errors=user_errors)


@strawberry.type(description="The answer to a team mutation: the team as it is now, or userErrors.")
class TeamPayload:
    team: models.Team | None = strawberry.field(
        description="The team after the change; null on failure.", graphql_type=TeamRef | None
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(cls, team: models.Team | None, user_errors: list[UserError]) -> TeamPayload:
        return cls(team=team, user_errors=user_errors)


@strawberry.type(
    description="The answer to an event mutation: the event as it is now, or userErrors."
)
class EventPayload:
    event: models.Event | None = strawberry.field(
        description="The event after the change (duplicateEvent: the copy; removeShift: its event); null on failure.",
        graphql_type=EventRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(cls, event: models.Event | None, user_errors: list[UserError]) -> EventPayload:
        return cls(event=event, user_errors=user_errors)


@strawberry.type(
    description="The answer to a sign-up mutation: the sign-up as it is now, or userErrors."
)
class SignupPayload:
    signup: models.Signup | None = strawberry.field(
        description="The sign-up after the change (CONFIRMED, or WAITLISTED when full, …); null on failure.",
        graphql_type=SignupRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(cls, signup: models.Signup | None, user_errors: list[UserError]) -> SignupPayload:
        return cls(signup=signup, user_errors=user_errors)


@strawberry.type(
    description="The answer to a shift mutation: the shift as it is now, or userErrors."
)
class ShiftPayload:
    shift: models.Shift | None = strawberry.field(
        description="The shift after the change; null on failure.",
        graphql_type=ShiftRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(cls, shift: models.Shift | None, user_errors: list[UserError]) -> ShiftPayload:
        return cls(shift=shift, user_errors=user_errors)
