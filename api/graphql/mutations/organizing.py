from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api import models
from api.domain import closing, events, signups, teams
from api.domain.events import EventDraft, ShiftDraft
from api.graphql.context import Info
from api.graphql.mutations.payloads import INPUT, EventPayload, ShiftPayload, TeamPayload, answer
from api.graphql.types import EventKind
from api.http.ids import decode_id_of


@strawberry.input(description="A new volunteer team (admins).")
class CreateTeamInput:
    name: str = strawberry.field(description="The team's name, at most 100 characters.")
    description: str = strawberry.field(default="", description="What the team does.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The place it belongs to (a Community id)."
    )
    leader_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Its first leaders (Volunteer ids)."
    )


@strawberry.input(description="Joining a team (or asking to, when it approves members).")
class JoinTeamInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")


@strawberry.input(description="Where an event takes place.")
class LocationInput:
    name: str = strawberry.field(description="The place as residents call it.")
    address: str | None = strawberry.field(default=None, description="Street address.")


@strawberry.input(description="A shift (班次) of a new event: a role with times and seats.")
class ShiftInput:
    role: str = strawberry.field(description='What its volunteers do, e.g. "理发师".')
    starts_at: datetime = strawberry.field(description="Start, within the event.")
    ends_at: datetime = strawberry.field(description="End, after the start.")
    capacity: int = strawberry.field(description="Seats (名额), at least 1.")


@strawberry.input(description="A new event (活动), with its shifts; leaders of the team, admins.")
class CreateEventInput:
    team_id: strawberry.ID = strawberry.field(description="The organizing team (a Team id).")
    title: str = strawberry.field(description="The title residents see.")
    kind: EventKind = strawberry.field(description="What kind of service it is.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, after the start.")
    description: str = strawberry.field(default="", description="Free text for residents.")
    location: LocationInput | None = strawberry.field(
        default=None, description="Where it takes place."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The community or compound it serves (a Community id)."
    )
    shifts: list[ShiftInput] = strawberry.field(
        default_factory=list, description="Its shifts (roles with seats), inside its times."
    )
    publish: bool = strawberry.field(
        default=False, description="Publish at once (default: a draft only leaders see)."
    )
    recurrence: str | None = strawberry.field(
        default=None,
        description='An RFC 5545 RRULE ("FREQ=WEEKLY;BYDAY=SA;COUNT=4"): COUNT or UNTIL '
        "required, at most 100 occurrences, expanded in Asia/Shanghai wall-clock time.",
    )

    def to_draft(self) -> EventDraft:
        return EventDraft(
            team_id=decode_id_of(self.team_id, "Team", "teamId"),
            title=self.title,
            kind=models.EventKind(self.kind),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            description=self.description,
            location_name=self.location.name if self.location else None,
            location_address=self.location.address if self.location else None,
            community_id=decode_id_of(self.community_id, "Community", "communityId")
            if self.community_id
            else None,
            shifts=[ShiftDraft(s.role, s.starts_at, s.ends_at, s.capacity) for s in self.shifts],
            publish=self.publish,
        )


@strawberry.input(description="One event.")
class EventIdInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")


@strawberry.input(description="Cancelling an event (取消活动); its volunteers are told.")
class CancelEventInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    reason: str = strawberry.field(description="Why, as told to the volunteers.")


@strawberry.input(description="Changing a shift's seats.")
class UpdateShiftCapacityInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")
    capacity: int = strawberry.field(
        description="New seats; raising promotes the waitlist, below the seats taken is refused."
    )


async def _create_event(info: Info, input: CreateEventInput) -> models.Event:
    draft = input.to_draft()
    if input.recurrence is not None:
        from api.domain import recurrence

        return await recurrence.create_series(info.context.actor, draft, input.recurrence)
    return await events.create_event(info.context.actor, draft)


@strawberry.type
class OrganizingMutations:
    @strawberry.mutation(description="Admins: a new team with its leaders.")
    async def create_team(
        self, info: Info, input: Annotated[CreateTeamInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: teams.create_team(
                info.context.actor,
                name=input.name,
                description=input.description,
                community_id=decode_id_of(input.community_id, "Community", "communityId")
                if input.community_id
                else None,
                leader_ids=[decode_id_of(i, "Volunteer", "leaderIds") for i in input.leader_ids],
            ),
        )

    @strawberry.mutation(description="Joins a team as a member.")
    async def join_team(self, info: Info, input: Annotated[JoinTeamInput, INPUT]) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: teams.join_team(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId")
            ),
        )

    @strawberry.mutation(
        description="Leaders of the team and admins: a new event (a draft unless `publish`). "
        "With `recurrence`, a series; the payload holds its first event."
    )
    async def create_event(
        self, info: Info, input: Annotated[CreateEventInput, INPUT]
    ) -> EventPayload:
        return await answer(EventPayload.of, lambda: _create_event(info, input))

    @strawberry.mutation(description="Leaders and admins: opens a draft for sign-ups.")
    async def publish_event(
        self, info: Info, input: Annotated[EventIdInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: events.publish_event(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId")
            ),
        )

    @strawberry.mutation(
        description="Leaders and admins: closes an event that has started (COMPLETED); "
        "confirmed sign-ups nobody marked become NO_SHOW, attended ones keep their hours."
    )
    async def complete_event(
        self, info: Info, input: Annotated[EventIdInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: closing.complete_event(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId")
            ),
        )

    @strawberry.mutation(description="Leaders and admins: cancels the event and its sign-ups.")
    async def cancel_event(
        self, info: Info, input: Annotated[CancelEventInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: events.cancel_event(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId"), input.reason
            ),
        )

    @strawberry.mutation(
        description="Leaders and admins: raising the capacity promotes the waitlist; lowering "
        "it below the seats taken answers CAPACITY_BELOW_CONFIRMED."
    )
    async def update_shift_capacity(
        self, info: Info, input: Annotated[UpdateShiftCapacityInput, INPUT]
    ) -> ShiftPayload:
        return await answer(
            ShiftPayload.of,
            lambda: signups.change_capacity(
                info.context.actor, decode_id_of(input.shift_id, "Shift", "shiftId"), input.capacity
            ),
        )
