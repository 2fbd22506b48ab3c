"""Teams and memberships."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.models import Community, Team, TeamMembership, TeamRole, Volunteer


async def create_team(
    actor: Actor,
    *,
    name: str,
    description: str = "",
    community_id: int | None = None,
    leader_ids: list[int] | None = None,
) -> Team:
    actor.require_admin()
    v = Validator()
    clean_name = v.text(name, "name", max_length=100, label="The team name")
    clean_description = v.text(
        description, "description", max_length=2000, required=False, label="The description"
    )
    leader_ids = list(dict.fromkeys(leader_ids or []))
    v.check(len(leader_ids) <= 20, "At most 20 leaders.", "leaderIds")
    v.raise_if_any()
    if community_id is not None and not await Community.exists(id=community_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such community.", ["communityId"])
    if leader_ids and await Volunteer.filter(id__in=leader_ids).count() != len(leader_ids):
        raise DomainError(ErrorCode.NOT_FOUND, "A leader was not found.", ["leaderIds"])
    async with in_transaction():
        team = await Team.create(
            name=clean_name, description=clean_description or "", community_id=community_id
        )
        await TeamMembership.bulk_create(
            [TeamMembership(team=team, volunteer_id=i, role=TeamRole.LEADER) for i in leader_ids]
        )
    return team


async def join_team(actor: Actor, team_id: int) -> Team:
    volunteer = actor.require_volunteer()
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such team.", ["teamId"])
    try:
        await TeamMembership.get_or_create(team=team, volunteer=volunteer)
    except IntegrityError:
        pass  # joined twice at once: once is enough
    return team


async def is_member(actor: Actor, team_id: int) -> bool:
    """Whether the actor belongs to the team (as a member or as one of its leaders)."""
    if actor.volunteer is None:
        return False
    return await TeamMembership.exists(team_id=team_id, volunteer_id=actor.volunteer.id)


def all_teams() -> QuerySet[Team]:
    """Every team: the list of teams is public."""
    return Team.all()


async def teams_of(actor: Actor, volunteer_id: int) -> list[Team]:
    """The teams a volunteer belongs to, oldest first, for the volunteer, their team leaders
    and admins; empty for anyone else."""
    if not await actor.may_see_personal_data_of(volunteer_id):
        return []
    return await Team.filter(memberships__volunteer_id=volunteer_id).order_by("id")
