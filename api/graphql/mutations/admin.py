"""The admin console's mutations: the place tree, teams and their leaders, administrators."""

from __future__ import annotations

import strawberry

from api import models
from api.domain import places, teams
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.mutations.payloads import AuthPayload, TeamPayload, answer
from api.graphql.types.refs import CommunityRef
from api.http.ids import decode_id_of


@strawberry.type
class CommunityPayload:
    community: models.Community | None = strawberry.field(graphql_type=CommunityRef | None)
    user_errors: list[UserError]

    @classmethod
    def of(
        cls, community: models.Community | None, user_errors: list[UserError]
    ) -> CommunityPayload:
        return cls(community=community, user_errors=user_errors)


@strawberry.input
class AddCommunityInput:
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="None: a district (镇/街道); a district: a community (社区); "
        "a community: a compound (小区).",
    )


@strawberry.input
class RenameCommunityInput:
    community_id: strawberry.ID
    name: str


@strawberry.input
class MoveCompoundInput:
    community_id: strawberry.ID
    parent_id: strawberry.ID = strawberry.field(description="The community it moves to.")


@strawberry.input(description="Fields left out stay as they are.")
class UpdateTeamInput:
    team_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    community_id: strawberry.ID | None = None


@strawberry.input(description="The person by `volunteerId` or by `phone`.")
class AssignTeamLeaderInput:
    team_id: strawberry.ID
    volunteer_id: strawberry.ID | None = None
    phone: str | None = None


@strawberry.input(description="The person by `volunteerId` or by `phone`.")
class SetAdminInput:
    volunteer_id: strawberry.ID | None = None
    phone: str | None = None
    is_admin: bool


def _volunteer(global_id: strawberry.ID | None) -> int | None:
    return decode_id_of(global_id, "Volunteer", "volunteerId") if global_id is not None else None


def _community(global_id: strawberry.ID | None, field: str) -> int | None:
    return decode_id_of(global_id, "Community", field) if global_id is not None else None


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Admins: adds a place to the tree.")
    async def add_community(self, info: Info, input: AddCommunityInput) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.add_place(
                info.context.actor, input.name, _community(input.parent_id, "parentId")
            ),
        )

    @strawberry.mutation(description="Admins: renames a place.")
    async def rename_community(self, info: Info, input: RenameCommunityInput) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.rename_place(
                info.context.actor,
                decode_id_of(input.community_id, "Community", "communityId"),
                input.name,
            ),
        )

    @strawberry.mutation(description="Admins: moves a compound to another community.")
    async def move_compound(self, info: Info, input: MoveCompoundInput) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.move_compound(
                info.context.actor,
                decode_id_of(input.community_id, "Community", "communityId"),
                decode_id_of(input.parent_id, "Community", "parentId"),
            ),
        )

    @strawberry.mutation(description="Admins and the team's leaders: name, description, place.")
    async def update_team(self, info: Info, input: UpdateTeamInput) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: teams.update_team(
                info.context.actor,
                decode_id_of(input.team_id, "Team", "teamId"),
                name=input.name,
                description=input.description,
                community_id=_community(input.community_id, "communityId"),
            ),
        )

    @strawberry.mutation(description="Admins: makes someone a leader of a team.")
    async def assign_team_leader(self, info: Info, input: AssignTeamLeaderInput) -> TeamPayload:
        return await answer(
            TeamPayload.of,
            lambda: teams.assign_leader(
                info.context.actor,
                decode_id_of(input.team_id, "Team", "teamId"),
                _volunteer(input.volunteer_id),
                phone=input.phone,
            ),
        )

    @strawberry.mutation(description="Admins: grants or withdraws admin rights.")
    async def set_admin(self, info: Info, input: SetAdminInput) -> AuthPayload:
        return await answer(
            AuthPayload.of,
            lambda: teams.set_admin(
                info.context.actor,
                _volunteer(input.volunteer_id),
                input.is_admin,
                phone=input.phone,
            ),
        )
