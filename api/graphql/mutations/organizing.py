from __future__ import annotations

from datetime import datetime

import strawberry

from api import models
from api.domain import closing, events, signups, teams
from api.domain.events import EventDraft, ShiftDraft
from api.graphql.context import Info
from api.graphql.mutations.payloads import EventPayload, ShiftPayload, TeamPayload, answer
from api.graphql.types import EventKind
from api.http.ids import decode_id_of


@strawberry.input
class CreateTeamInput:
    name: str
    description: str = ""
    community_id: strawberry.ID | None = None
    leader_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class JoinTeamInput:
    team_id: strawberry.ID


@strawberry.input
class LocationInput:
    name: str
    address: str | None = None


@strawberry.input
class ShiftInput:
    role: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


@strawberry.input
class CreateEventInput:
    team_id: strawberry.ID
    title: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: LocationInput | None = None
    community_id: strawberry.ID | None = None
    shifts: list[ShiftInput] = strawberry.field(default_factory=list)
    publish: bool = False
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


@strawberry.input
class EventIdInput:
    event_id: strawberry.ID


@strawberry.input
class CancelEventInput:
    event_id: strawberry.ID
    reason: str


@strawberry.input
class UpdateShiftCapacityInput:
    shift_id: strawberry.ID
    capacity: int


async def _create_event(info: Info, input: CreateEventInput) -> models.Event:
    draft = input.to_draft()
    if input.recurrence is not None:
        from api.domain import recurrence

        return await recurrence.create_series(info.context.actor, draft, input.recurrence)
    return await events.create_event(info.context.actor, draft)


@strawberry.type
class OrganizingMutations:
    @strawberry.mutation(description="Admins: a new team with its leaders.")
    async def create_team(self, info: Info, input: CreateTeamInput) -> TeamPayload:
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
    async def join_team(self, info: Info, input: JoinTeamInput) -> TeamPayload:
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
    async def create_event(self, info: Info, input: CreateEventInput) -> EventPayload:
        return await answer(EventPayload.of, lambda: _create_event(info, input))

    @strawberry.mutation(description="Leaders and admins: opens a draft for sign-ups.")
    async def publish_event(self, info: Info, input: EventIdInput) -> EventPayload:
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
    async def complete_event(self, info: Info, input: EventIdInput) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: closing.complete_event(
                info.context.actor, decode_id_of(input.event_id, "Event", "eventId")
            ),
        )

    @strawberry.mutation(description="Leaders and admins: cancels the event and its sign-ups.")
    async def cancel_event(self, info: Info, input: CancelEventInput) -> EventPayload:
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
        self, info: Info, input: UpdateShiftCapacityInput
    ) -> ShiftPayload:
        return await answer(
            ShiftPayload.of,
            lambda: signups.change_capacity(
                info.context.actor, decode_id_of(input.shift_id, "Shift", "shiftId"), input.capacity
            ),
        )
