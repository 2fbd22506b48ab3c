"""Planning after creation: publishing a series, adding and removing shifts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api import models
from api.domain import planning
from api.domain.planning import PublishScope
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, EventPayload, ShiftPayload, answer, attempt
from api.graphql.types.enums import describe_values
from api.graphql.types.refs import EventRef
from api.http.ids import decode_id_of

strawberry.enum(
    PublishScope, name="PublishScope", description="Which events of a series to publish."
)
describe_values(
    PublishScope,
    {
        "THIS": "Only this event.",
        "FOLLOWING": "This event and the later events of its series.",
        "ALL": "Every event of its series.",
    },
)


@strawberry.input(description="Publishing drafts of a series.")
class PublishSeriesInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    scope: PublishScope = strawberry.field(
        default=PublishScope.ALL,
        description="THIS: the event; FOLLOWING: it and the later events of its series; "
        "ALL: every event of its series. Drafts that are over stay drafts.",
    )


@strawberry.type(description="The events published.")
class PublishSeriesPayload:
    events: list[models.Event] = strawberry.field(
        graphql_type=list[EventRef], description="The events published now."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A new shift (班次) on an existing event.")
class AddShiftInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    role: str = strawberry.field(description='What its volunteers do, e.g. "引导员".')
    starts_at: datetime = strawberry.field(description="Start, within the event.")
    ends_at: datetime = strawberry.field(description="End, after the start.")
    capacity: int = strawberry.field(description="Seats (名额), at least 1.")


@strawberry.input(description="Removing a shift.")
class RemoveShiftInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")


@strawberry.type
class PlanningMutations:
    @strawberry.mutation(
        description="Leaders and admins: opens the drafts of an event's series for sign-ups "
        "(this one, the following ones, or all)."
    )
    async def publish_series(
        self, info: Info, input: Annotated[PublishSeriesInput, INPUT]
    ) -> PublishSeriesPayload:
        published, errors = await attempt(
            lambda: planning.publish_series(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                PublishScope(input.scope),
            )
        )
        return PublishSeriesPayload(events=published or [], user_errors=errors)

    @strawberry.mutation(
        description="Leaders and admins: a new shift on a draft or published event, within "
        "its times."
    )
    async def add_shift(self, info: Info, input: Annotated[AddShiftInput, INPUT]) -> ShiftPayload:
        return await answer(
            ShiftPayload.of,
            lambda: planning.add_shift(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                input.role,
                input.starts_at,
                input.ends_at,
                input.capacity,
            ),
        )

    @strawberry.mutation(
        description="Leaders and admins: removes a shift; its confirmed and waitlisted "
        "volunteers are cancelled and told. A shift with recorded attendance, or an event's "
        "last shift, cannot be removed (INVALID_STATE). The payload holds the event."
    )
    async def remove_shift(
        self, info: Info, input: Annotated[RemoveShiftInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: planning.remove_shift(
                info.context.actor, decode_id_of(input.shift_id, "Shift", "shiftId")
            ),
        )
