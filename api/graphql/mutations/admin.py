"""The admin console's mutations: the place tree, teams and their leaders, administrators."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api import models
from api.domain import places, teams
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, AuthPayload, TeamPayload, answer
from api.graphql.types.refs import CommunityRef
from api.http.ids import decode_id_of


@strawberry.type(description="The answer to a place mutation: the place as it is now.")
class CommunityPayload:
    community: models.Community | None = strawberry.field(
        description="The place after the change; null on failure.",
        graphql_type=CommunityRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(
        cls, community: models.Community | None, user_errors: list[UserError]
    ) -> CommunityPayload:
        return cls(community=community, user_errors=user_errors)


@strawberry.input(description="A new place under an existing one (admins).")
class AddCommunityInput:
    name: str = strawberry.field(description="Its name, at most 100 characters.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="None: a district (镇/街道); a district: a community (社区); "
        "a community: a compound (小区).",
    )


@strawberry.input(description="A new name for a place (admins).")
class RenameCommunityInput:
    community_id: strawberry.ID = strawberry.field(description="The place (a Community id).")
    name: str = strawberry.field(description="Its new name, at most 100 characters.")


@strawberry.input(description="Moving a compound (小区) to another community (admins).")
class MoveCompoundInput:
    community_id: strawberry.ID = strawberry.field(description="The compound (a Community id).")
    parent_id: strawberry.ID = strawberry.field(description="The community it moves to.")


@strawberry.input(description="Fields left out stay as they are.")
class UpdateTeamInput:
    team_id: strawberry.ID = strawberry.field(description="The team to change.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The place it now belongs to (a Community id)."
    )


@strawberry.input(description="The person by `volunteerId` or by `phone`.")
class AssignTeamLeaderInput:
    team_id: strawberry.ID = strawberry.field(description="The team (a Team id).")
    volunteer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new leader by Volunteer id, or give `phone`."
    )
    phone: str | None = strawberry.field(
        default=None, description="The new leader by their account's phone number."
    )


@strawberry.input(description="The person by `volunteerId` or by `phone`.")
class SetAdminInput:
    volunteer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person by Volunteer id, or give `phone`."
    )
    phone: str | None = strawberry.field(
        default=None, description="The person by their account's phone number."
    )
    is_admin: bool = strawberry.field(description="True to make an admin, false to unmake.")


def _volunteer(global_id: strawberry.ID | None) -> int | None:
    return decode_id_of(global_id, "Volunteer", "volunteerId") if global_id is not None else None


def _community(global_id: strawberry.ID | None, field: str) -> int | None:
    return decode_id_of(global_id, "Community", field) if global_id is not None else None


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Admins: adds a place to the tree.")
    async def add_community(
        self, info: Info, input: Annotated[AddCommunityInput, INPUT]
    ) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.add_place(
                info.context.actor, input.name, _community(input.parent_id, "parentId")
            ),
        )

    @strawberry.mutation(description="Admins: renames a place.")
    async def rename_community(
        self, info: Info, input: Annotated[RenameCommunityInput, INPUT]
    ) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.rename_place(
                info.context.actor,
                decode_id_of(input.community_id, "Community", "communityId"),
                input.name,
            ),
        )

    @strawberry.mutation(description="Admins: moves a compound to another community.")
    async def move_compound(
        self, info: Info, input: Annotated[MoveCompoundInput, INPUT]
    ) -> CommunityPayload:
        return await answer(
            CommunityPayload.of,
            lambda: places.move_compound(
                info.context.actor,
                decode_id_of(input.community_id, "Community", "communityId"),
                decode_id_of(input.parent_id, "Community", "parentId"),
            ),
        )

    @strawberry.mutation(description="Admins and the team's leaders: name, description, place.")
    async def update_team(
        self, info: Info, input: Annotated[UpdateTeamInput, INPUT]
    ) -> TeamPayload:
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
    async def assign_team_leader(
        self, info: Info, input: Annotated[AssignTeamLeaderInput, INPUT]
    ) -> TeamPayload:
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
    async def set_admin(self, info: Info, input: Annotated[SetAdminInput, INPUT]) -> AuthPayload:
        return await answer(
            AuthPayload.of,
            lambda: teams.set_admin(
                info.context.actor,
                _volunteer(input.volunteer_id),
                input.is_admin,
                phone=input.phone,
            ),
        )
