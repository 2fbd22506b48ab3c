"""On site: walk-ins, everyone present at once, a message to everyone on the event."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain import announcements, attendance
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, SignupPayload, answer, attempt
from api.http.ids import decode_id_of


@strawberry.input(description="Recording a volunteer who came without signing up (现场登记).")
class AddWalkInInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits; spaces and +86 are ignored."
    )
    name: str = strawberry.field(description="Used when the phone number has no account yet.")


@strawberry.input(description="Marking every confirmed volunteer of an event present.")
class MarkAllPresentInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")


@strawberry.type(description="How many sign-ups were marked present.")
class MarkAllPresentPayload:
    marked_count: int = strawberry.field(description="Sign-ups marked ATTENDED with hours.")
    refused_count: int = strawberry.field(
        description="Sign-ups the hours rules kept you from marking (e.g. your own)."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A message from the organizers to an event's volunteers.")
class MessageParticipantsInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    text: str = strawberry.field(description="At most 300 characters.")
    include_waitlisted: bool = strawberry.field(
        default=False, description="Also tell the waitlisted volunteers (default: confirmed only)."
    )


@strawberry.type(description="How many volunteers were told.")
class MessageParticipantsPayload:
    recipient_count: int = strawberry.field(description="Volunteers the message was sent to.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class AttendanceMutations:
    @strawberry.mutation(
        description="Leaders and admins: a neighbour who came without signing up (an account "
        "is made for a new phone number, marked as added by you); needs a free seat."
    )
    async def add_walk_in(
        self, info: Info, input: Annotated[AddWalkInInput, INPUT]
    ) -> SignupPayload:
        return await answer(
            SignupPayload.of,
            lambda: attendance.add_walk_in(
                info.context.actor,
                decode_id_of(input.shift_id, "Shift", "shiftId"),
                input.phone,
                input.name,
            ),
        )

    @strawberry.mutation(description="Leaders and admins: every confirmed sign-up attended.")
    async def mark_all_present(
        self, info: Info, input: Annotated[MarkAllPresentInput, INPUT]
    ) -> MarkAllPresentPayload:
        result, errors = await attempt(
            lambda: attendance.mark_all_present(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId")
            )
        )
        return MarkAllPresentPayload(
            marked_count=result.marked if result else 0,
            refused_count=result.refused if result else 0,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Leaders and admins: a notice to everyone confirmed (and optionally "
        "waitlisted) on the event, through the usual channels."
    )
    async def message_participants(
        self, info: Info, input: Annotated[MessageParticipantsInput, INPUT]
    ) -> MessageParticipantsPayload:
        count, errors = await attempt(
            lambda: announcements.message_participants(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                input.text,
                include_waitlisted=input.include_waitlisted,
            )
        )
        return MessageParticipantsPayload(recipient_count=count or 0, user_errors=errors)
