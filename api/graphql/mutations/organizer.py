"""Organizer tools: duplicating and editing events, series, notifications, calendar tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api import models
from api.domain import calendar_feed, notifications, scheduling
from api.domain.scheduling import EventChanges, Scope
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.organizing import LocationInput
from api.graphql.mutations.payloads import INPUT, EventPayload, ShiftPayload, answer, attempt
from api.graphql.types import EventKind
from api.graphql.types.enums import describe_values
from api.graphql.types.refs import EventRef, VolunteerRef
from api.http.ids import decode_id_of

strawberry.enum(Scope, name="EditScope", description="Which events of a series an edit applies to.")
describe_values(
    Scope,
    {
        "THIS": "Only this event.",
        "FOLLOWING": "This event and the later events of its series.",
    },
)
EditScope = Scope


@strawberry.input(description="Copying an event, with its shifts, to another time.")
class DuplicateEventInput:
    event_id: strawberry.ID = strawberry.field(description="The event to copy (an Event id).")
    starts_at: datetime = strawberry.field(
        description="When the copy starts; its shifts keep their offsets from the start."
    )
    publish: bool = strawberry.field(
        default=False, description="Publish the copy at once (default: a draft)."
    )


@strawberry.input(description="Fields left out stay as they are.")
class UpdateEventInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    scope: EditScope = strawberry.field(
        default=Scope.THIS,
        description="FOLLOWING: also the later events of the series (times move by the same "
        "wall-clock offset; each keeps its length).",
    )
    title: str | None = strawberry.field(default=None, description="A new title.")
    kind: EventKind | None = strawberry.field(default=None, description="A new kind.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    starts_at: datetime | None = strawberry.field(
        default=None, description="Moves the event and its shifts by the same offset."
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="A new end (ISO 8601 with offset)."
    )
    location: LocationInput | None = strawberry.field(default=None, description="A new place.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="A new community or compound it serves (a Community id)."
    )

    def to_changes(self) -> EventChanges:
        return EventChanges(
            title=self.title,
            kind=models.EventKind(self.kind) if self.kind else None,
            description=self.description,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            location_name=self.location.name if self.location else None,
            location_address=(self.location.address or "") if self.location else None,
            community_id=decode_id_of(self.community_id, "Community", "communityId")
            if self.community_id
            else None,
        )


@strawberry.input(description="Fields left out stay as they are.")
class UpdateShiftInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")
    role: str | None = strawberry.field(default=None, description="A new role name.")
    starts_at: datetime | None = strawberry.field(default=None, description="A new start.")
    ends_at: datetime | None = strawberry.field(default=None, description="A new end.")
    capacity: int | None = strawberry.field(
        default=None,
        description="Raising it promotes the waitlist; below the seats taken answers "
        "CAPACITY_BELOW_CONFIRMED.",
    )


@strawberry.input(description="Cancelling an event and the later events of its series.")
class CancelSeriesFromInput:
    event_id: strawberry.ID = strawberry.field(
        description="The first event to cancel (an Event id)."
    )
    reason: str = strawberry.field(description="Why, as told to the volunteers.")


@strawberry.input(description="Which of your notifications to mark read: `ids`, or `all`.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These notifications (Notification ids)."
    )
    all: bool = strawberry.field(default=False, description="True: every unread notification.")


@strawberry.type(description="The events cancelled.")
class CancelSeriesPayload:
    events: list[models.Event] = strawberry.field(
        description="The events cancelled now, earliest first; empty on failure.",
        graphql_type=list[EventRef],
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What is still unread after marking.")
class MarkNotificationsReadPayload:
    count: int = strawberry.field(description="How many were marked read now.")
    unread_count: int = strawberry.field(description="How many stay unread.")
    viewer: models.Volunteer | None = strawberry.field(
        description="The volunteer logged in (to refresh a badge); null when anonymous.",
        graphql_type=VolunteerRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The volunteer's private calendar feed (日历订阅).")
class CalendarTokenPayload:
    calendar_url: str | None = strawberry.field(
        description="The new private iCalendar URL (the old one stops working); keep it "
        "secret. Null on failure."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class OrganizerMutations:
    @strawberry.mutation(
        description="Leaders and admins: a copy of the event at another time, shifts included "
        "(a draft unless `publish`)."
    )
    async def duplicate_event(
        self, info: Info, input: Annotated[DuplicateEventInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: scheduling.duplicate_event(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                input.starts_at,
                publish=input.publish,
            ),
        )

    @strawberry.mutation(
        description="Leaders and admins: edits an event (or the rest of its series). A new "
        "time or place of a published event notifies everyone signed up."
    )
    async def update_event(
        self, info: Info, input: Annotated[UpdateEventInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: scheduling.update_event(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                input.to_changes(),
                Scope(input.scope),
            ),
        )

    @strawberry.mutation(description="Leaders and admins: edits a shift's role, times or seats.")
    async def update_shift(
        self, info: Info, input: Annotated[UpdateShiftInput, INPUT]
    ) -> ShiftPayload:
        return await answer(
            ShiftPayload.of,
            lambda: scheduling.update_shift(
                info.context.actor,
                decode_id_of(input.shift_id, "Shift", "shiftId"),
                role=input.role,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                capacity=input.capacity,
            ),
        )

    @strawberry.mutation(
        description="Leaders and admins: cancels this event and every later one of its series."
    )
    async def cancel_series_from(
        self, info: Info, input: Annotated[CancelSeriesFromInput, INPUT]
    ) -> CancelSeriesPayload:
        cancelled, errors = await attempt(
            lambda: scheduling.cancel_following(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId"), input.reason
            )
        )
        return CancelSeriesPayload(events=cancelled or [], user_errors=errors)

    @strawberry.mutation(description="Marks the viewer's notifications read: `ids`, or `all`.")
    async def mark_notifications_read(
        self, info: Info, input: Annotated[MarkNotificationsReadInput, INPUT]
    ) -> MarkNotificationsReadPayload:
        actor = info.context.actor
        count, errors = await attempt(
            lambda: notifications.mark_read(
                actor,
                [decode_id_of(i, "Notification", "ids") for i in input.ids or []],
                input.all,
            )
        )
        return MarkNotificationsReadPayload(
            count=count or 0,
            unread_count=await notifications.unread_count_seen_by(actor, actor.id),
            viewer=actor.volunteer,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Replaces the viewer's calendar feed URL; the old one stops working."
    )
    async def reset_calendar_token(self, info: Info) -> CalendarTokenPayload:
        token, errors = await attempt(lambda: calendar_feed.reset_token(info.context.actor))
        return CalendarTokenPayload(
            calendar_url=calendar_feed.feed_url(token) if token else None, user_errors=errors
        )
