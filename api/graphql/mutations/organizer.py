"""Organizer tools: duplicating and editing events, series, notifications, calendar tokens."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api import models
from api.domain import calendar_feed, notifications, scheduling
from api.domain.scheduling import EventChanges, Scope
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.mutations.organizing import LocationInput
from api.graphql.mutations.payloads import EventPayload, ShiftPayload, answer, attempt
from api.graphql.types import EventKind
from api.graphql.types.refs import EventRef, VolunteerRef
from api.http.ids import decode_id_of

strawberry.enum(Scope, name="EditScope", description="Which events of a series an edit applies to.")
EditScope = Scope


@strawberry.input
class DuplicateEventInput:
    event_id: strawberry.ID
    starts_at: datetime = strawberry.field(
        description="When the copy starts; its shifts keep their offsets from the start."
    )
    publish: bool = False


@strawberry.input(description="Fields left out stay as they are.")
class UpdateEventInput:
    event_id: strawberry.ID
    scope: EditScope = strawberry.field(
        default=Scope.THIS,
        description="FOLLOWING: also the later events of the series (times move by the same "
        "wall-clock offset; each keeps its length).",
    )
    title: str | None = None
    kind: EventKind | None = None
    description: str | None = None
    starts_at: datetime | None = strawberry.field(
        default=None, description="Moves the event and its shifts by the same offset."
    )
    ends_at: datetime | None = None
    location: LocationInput | None = None
    community_id: strawberry.ID | None = None

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
    shift_id: strawberry.ID
    role: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = strawberry.field(
        default=None,
        description="Raising it promotes the waitlist; below the seats taken answers "
        "CAPACITY_BELOW_CONFIRMED.",
    )


@strawberry.input
class CancelSeriesFromInput:
    event_id: strawberry.ID
    reason: str


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = False


@strawberry.type
class CancelSeriesPayload:
    events: list[models.Event] = strawberry.field(graphql_type=list[EventRef])
    user_errors: list[UserError]


@strawberry.type
class MarkNotificationsReadPayload:
    count: int = strawberry.field(description="How many were marked read now.")
    unread_count: int
    viewer: models.Volunteer | None = strawberry.field(graphql_type=VolunteerRef | None)
    user_errors: list[UserError]


@strawberry.type
class CalendarTokenPayload:
    calendar_url: str | None
    user_errors: list[UserError]


@strawberry.type
class OrganizerMutations:
    @strawberry.mutation(
        description="Leaders and admins: a copy of the event at another time, shifts included "
        "(a draft unless `publish`)."
    )
    async def duplicate_event(self, info: Info, input: DuplicateEventInput) -> EventPayload:
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
    async def update_event(self, info: Info, input: UpdateEventInput) -> EventPayload:
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
    async def update_shift(self, info: Info, input: UpdateShiftInput) -> ShiftPayload:
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
        self, info: Info, input: CancelSeriesFromInput
    ) -> CancelSeriesPayload:
        cancelled, errors = await attempt(
            lambda: scheduling.cancel_following(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId"), input.reason
            )
        )
        return CancelSeriesPayload(events=cancelled or [], user_errors=errors)

    @strawberry.mutation(description="Marks the viewer's notifications read: `ids`, or `all`.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
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
