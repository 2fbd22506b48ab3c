"""Planning after creation: publishing a series, adding and removing shifts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api import models
from api.domain import planning
from api.domain.planning import PublishScope
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.mutations.payloads import EventPayload, ShiftPayload, answer, attempt
from api.graphql.types.refs import EventRef
from api.http.ids import decode_id_of

strawberry.enum(
    PublishScope, name="PublishScope", description="Which events of a series to publish."
)


@strawberry.input
class PublishSeriesInput:
    event_id: strawberry.ID
    scope: PublishScope = strawberry.field(
        default=PublishScope.ALL,
        description="THIS: the event; FOLLOWING: it and the later events of its series; "
        "ALL: every event of its series. Drafts that are over stay drafts.",
    )


@strawberry.type
class PublishSeriesPayload:
    events: list[models.Event] = strawberry.field(
        graphql_type=list[EventRef], description="The events published now."
    )
    user_errors: list[UserError]


@strawberry.input
class AddShiftInput:
    event_id: strawberry.ID
    role: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


@strawberry.input
class RemoveShiftInput:
    shift_id: strawberry.ID


@strawberry.type
class PlanningMutations:
    @strawberry.mutation(
        description="Leaders and admins: opens the drafts of an event's series for sign-ups "
        "(this one, the following ones, or all)."
    )
    async def publish_series(self, info: Info, input: PublishSeriesInput) -> PublishSeriesPayload:
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
    async def add_shift(self, info: Info, input: AddShiftInput) -> ShiftPayload:
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
    async def remove_shift(self, info: Info, input: RemoveShiftInput) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: planning.remove_shift(
                info.context.actor, decode_id_of(input.shift_id, "Shift", "shiftId")
            ),
        )
