"""Teams and memberships."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.domain.accounts import normalize_phone
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.models import Community, Team, TeamMembership, TeamRole, Volunteer

MAX_TEAMS_PER_VOLUNTEER = 50  # `Volunteer.teams` is a plain list: its bound keeps queries costed


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
    memberships = TeamMembership.filter(volunteer_id=volunteer.id)
    if (
        await memberships.count() >= MAX_TEAMS_PER_VOLUNTEER
        and not await memberships.filter(team_id=team_id).exists()
    ):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"A volunteer belongs to at most {MAX_TEAMS_PER_VOLUNTEER} teams.",
            ["teamId"],
        )
    role = TeamRole.PENDING if team.join_approval else TeamRole.MEMBER
    try:
        await TeamMembership.get_or_create(team=team, volunteer=volunteer, defaults={"role": role})
    except IntegrityError:
        pass  # joined twice at once: once is enough
    return team


async def update_team(
    actor: Actor,
    team_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    community_id: int | None = None,
) -> Team:
    """Admins (and the team's leaders) change its name, description or place."""
    await actor.require_leader(team_id)
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such team.", ["teamId"])
    v = Validator()
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = v.text(name, "name", max_length=100, label="The team name")
    if description is not None:
        changes["description"] = (
            v.text(
                description, "description", max_length=2000, required=False, label="The description"
            )
            or ""
        )
    v.raise_if_any()
    if community_id is not None:
        if not await Community.exists(id=community_id):
            raise DomainError(ErrorCode.NOT_FOUND, "No such community.", ["communityId"])
        changes["community_id"] = community_id
    if changes:
        await Team.filter(id=team_id).update(**changes)
    return await Team.get(id=team_id)


async def person(volunteer_id: int | None, phone: str | None) -> Volunteer:
    """The account an admin names by id or by phone number."""
    if volunteer_id is not None:
        found = await Volunteer.get_or_none(id=volunteer_id)
        field = "volunteerId"
    else:
        found = await Volunteer.get_or_none(phone=normalize_phone(phone or ""))
        field = "phone"
    if found is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, "Nobody has registered with this phone number.", [field]
        )
    return found


async def assign_leader(
    actor: Actor, team_id: int, volunteer_id: int | None = None, *, phone: str | None = None
) -> Team:
    """Admins make anyone a leader of a team (joining them to it if needed)."""
    actor.require_admin()
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such team.", ["teamId"])
    volunteer_id = (await person(volunteer_id, phone)).id
    try:
        membership, created = await TeamMembership.get_or_create(
            team_id=team_id, volunteer_id=volunteer_id, defaults={"role": TeamRole.LEADER}
        )
    except IntegrityError:
        membership, created = (
            await TeamMembership.get(team_id=team_id, volunteer_id=volunteer_id),
            False,
        )
    if not created and membership.role != TeamRole.LEADER:
        await TeamMembership.filter(id=membership.id).update(role=TeamRole.LEADER)
    return team


async def set_admin(
    actor: Actor, volunteer_id: int | None, is_admin: bool, *, phone: str | None = None
) -> Volunteer:
    """Admins grant or withdraw admin rights; the last admin stays one."""
    actor.require_admin()
    found = await person(volunteer_id, phone)
    if not is_admin and found.is_admin:
        others = await Volunteer.filter(is_admin=True).exclude(id=found.id).exists()
        if not others:
            raise DomainError(ErrorCode.INVALID_STATE, "Linli needs at least one administrator.")
    await Volunteer.filter(id=found.id).update(is_admin=is_admin)
    return await Volunteer.get(id=found.id)


async def admins(actor: Actor) -> list[Volunteer]:
    actor.require_admin()
    return await Volunteer.filter(is_admin=True).order_by("id")


#: Roles of people in a team (PENDING asked to join and waits for a leader).
MEMBER_ROLES = (TeamRole.LEADER, TeamRole.MEMBER)


async def is_member(actor: Actor, team_id: int) -> bool:
    """Whether the actor belongs to the team (as a member or as one of its leaders)."""
    if actor.volunteer is None:
        return False
    return await TeamMembership.exists(
        team_id=team_id, volunteer_id=actor.volunteer.id, role__in=MEMBER_ROLES
    )


def all_teams() -> QuerySet[Team]:
    """Every team: the list of teams is public."""
    return Team.all()


async def teams_of(actor: Actor, volunteer_id: int) -> list[Team]:
    """The teams a volunteer belongs to, oldest first, for the volunteer, their team leaders
    and admins; empty for anyone else."""
    if not await actor.may_see_personal_data_of(volunteer_id):
        return []
    return await Team.filter(
        memberships__volunteer_id=volunteer_id, memberships__role__in=MEMBER_ROLES
    ).order_by("id")
