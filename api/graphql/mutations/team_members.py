"""Leaders manage their team's people; members join, apply and leave."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.domain import members
from api.graphql.context import Info
from api.graphql.mutations.payloads import TeamPayload, answer
from api.http.ids import decode_id_of
from api.models import TeamRole as TeamRoleModel


@strawberry.enum(description="A member's role in a team.")
class TeamRole(Enum):
    LEADER = "LEADER"
    MEMBER = "MEMBER"


@strawberry.input
class TeamMemberInput:
    team_id: strawberry.ID
    volunteer_id: strawberry.ID


@strawberry.input
class SetTeamRoleInput:
    team_id: strawberry.ID
    volunteer_id: strawberry.ID
    role: TeamRole


@strawberry.input
class TeamIdInput:
    team_id: strawberry.ID


@strawberry.input
class InviteToTeamInput:
    team_id: strawberry.ID
    phone: str = strawberry.field(description="A registered neighbour's phone number.")


@strawberry.input
class SetTeamJoinApprovalInput:
    team_id: strawberry.ID
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
    async def set_team_role(self, info: Info, input: SetTeamRoleInput) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.set_role(
                info.context.actor, *_ids(input), TeamRoleModel(input.role.value)
            ),
        )

    @strawberry.mutation(description="Leaders and admins: lets an applicant in.")
    async def approve_team_member(self, info: Info, input: TeamMemberInput) -> TeamPayload:
        return await answer(
            TeamPayload.of, lambda: members.approve(info.context.actor, *_ids(input))
        )

    @strawberry.mutation(
        description="Leaders and admins: removes a member or turns down an applicant; "
        "they are told."
    )
    async def remove_team_member(self, info: Info, input: TeamMemberInput) -> TeamPayload:
        return await answer(
            TeamPayload.of, lambda: members.remove(info.context.actor, *_ids(input))
        )

    @strawberry.mutation(description="Leaves a team (its last leader cannot).")
    async def leave_team(self, info: Info, input: TeamIdInput) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.leave(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId")
            ),
        )

    @strawberry.mutation(description="Leaders and admins: adds a registered neighbour by phone.")
    async def invite_to_team(self, info: Info, input: InviteToTeamInput) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.invite(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId"), input.phone
            ),
        )

    @strawberry.mutation(description="Leaders and admins: whether joining needs approval.")
    async def set_team_join_approval(
        self, info: Info, input: SetTeamJoinApprovalInput
    ) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: members.set_join_approval(
                info.context.actor, decode_id_of(input.team_id, "Team", "teamId"), input.required
            ),
        )
