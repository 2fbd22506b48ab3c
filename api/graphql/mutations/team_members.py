"""Leaders manage their team's people; members join, apply and leave."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from api.domain import members
from api.graphql.context import Info
from api.graphql.mutations.payloads import INPUT, TeamPayload, answer
from api.graphql.types.enums import describe_values
from api.http.ids import decode_id_of
from api.models import TeamRole as TeamRoleModel


@strawberry.enum(description="A member's role in a team.")
class TeamRole(Enum):
    LEADER = "LEADER"
    MEMBER = "MEMBER"


describe_values(TeamRole, {"LEADER": "Team leader (队长).", "MEMBER": "Team member (队员)."})


@strawberry.input(description="One person in one team.")
class TeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")
    volunteer_id: strawberry.ID = strawberry.field(description="The person (a Volunteer id).")


@strawberry.input(description="Making a member a leader, or a leader a member.")
class SetTeamRoleInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")
    volunteer_id: strawberry.ID = strawberry.field(description="The person (a Volunteer id).")
    role: TeamRole = strawberry.field(description="The role they get.")


@strawberry.input(description="One team.")
class TeamIdInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")


@strawberry.input(description="Adding a registered neighbour to a team by phone.")
class InviteToTeamInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")
    phone: str = strawberry.field(description="A registered neighbour's phone number.")


@strawberry.input(description="Whether joining a team needs a leader's approval.")
class SetTeamJoinApprovalInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")
    required: bool = strawberry.field(description="Joining needs a leader's approval.")


def _ids(input: TeamMemberInput | SetTeamRoleInput) -> tuple[int, int]:
    return (
        decode_id_of(input.team_id, "Team", "teamId"),
        decode_id_of(input.volunteer_id, "Volunteer", "volunteerId"),
    )


@strawberry.type
class TeamMemberMutations:
    @strawberry.mutation(
        description="Leaders and admins: makes a member a leader or a leader a member "
        "(a team keeps at least one leader)."
    )
    async def set_team_role(
        self, info: Info, input: Annotated[SetTeamRoleInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.set_role(
                info.context.actor, *_ids(input), TeamRoleModel(input.role.value)
            ),
        )

    @strawberry.mutation(description="Leaders and admins: lets an applicant in.")
    async def approve_team_member(
        self, info: Info, input: Annotated[TeamMemberInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of, lambda: members.approve(info.context.actor, *_ids(input))
        )

    @strawberry.mutation(
        description="Leaders and admins: removes a member or turns down an applicant; "
        "they are told."
    )
    async def remove_team_member(
        self, info: Info, input: Annotated[TeamMemberInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of, lambda: members.remove(info.context.actor, *_ids(input))
        )

    @strawberry.mutation(description="Leaves a team (its last leader cannot).")
    async def leave_team(self, info: Info, input: Annotated[TeamIdInput, INPUT]) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.leave(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId")
            ),
        )

    @strawberry.mutation(description="Leaders and admins: adds a registered neighbour by phone.")
    async def invite_to_team(
        self, info: Info, input: Annotated[InviteToTeamInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.invite(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId"), input.phone
            ),
        )

    @strawberry.mutation(description="Leaders and admins: whether joining needs approval.")
    async def set_team_join_approval(
        self, info: Info, input: Annotated[SetTeamJoinApprovalInput, INPUT]
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.set_join_approval(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId"), input.required
            ),
        )
