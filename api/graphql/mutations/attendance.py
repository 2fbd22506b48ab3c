"""On site: walk-ins, everyone present at once, a message to everyone on the event."""

from __future__ import annotations

import strawberry

from api.domain import announcements, attendance
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.mutations.payloads import SignupPayload, answer, attempt
from api.http.ids import decode_id_of


@strawberry.input
class AddWalkInInput:
    shift_id: strawberry.ID
    phone: str
    name: str = strawberry.field(description="Used when the phone number has no account yet.")


@strawberry.input
class MarkAllPresentInput:
    event_id: strawberry.ID


@strawberry.type
class MarkAllPresentPayload:
    marked_count: int = strawberry.field(description="Sign-ups marked ATTENDED with hours.")
    refused_count: int = strawberry.field(
        description="Sign-ups the hours rules kept you from marking (e.g. your own)."
    )
    user_errors: list[UserError]


@strawberry.input
class MessageParticipantsInput:
    event_id: strawberry.ID
    text: str = strawberry.field(description="At most 300 characters.")
    include_waitlisted: bool = False


@strawberry.type
class MessageParticipantsPayload:
    recipient_count: int
    user_errors: list[UserError]


@strawberry.type
class AttendanceMutations:
    @strawberry.mutation(
        description="Leaders and admins: a neighbour who came without signing up (an account "
        "is made for a new phone number, marked as added by you); needs a free seat."
    )
    async def add_walk_in(self, info: Info, input: AddWalkInInput) -> SignupPayload:
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
        self, info: Info, input: MarkAllPresentInput
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
        self, info: Info, input: MessageParticipantsInput
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
