"""A team's people: who is in it, who leads it, who asked to join; what leaders may change.

Leaders (and admins) promote and demote leaders, remove members, approve applicants and
invite people by phone; a member may leave. A team is never left without a leader by its
own leaders (an admin may). Phone numbers go only to the team's leaders and admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.domain import outbox
from api.domain.accounts import normalize_phone
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.domain.teams import MEMBER_ROLES
from api.infra.i18n import N_
from api.models import Team, TeamMembership, TeamRole, Volunteer


@dataclass(frozen=True)
class Member:
    volunteer_id: int
    display_name: str
    phone: str | None  # only for the team's leaders and admins
    role: TeamRole
    joined_at: datetime


async def _team(team_id: int) -> Team:
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such team."), ["teamId"])
    return team


async def members(actor: Actor, team_id: int, *, pending: bool = False) -> list[Member]:
    """The team's leaders then members (or, with `pending`, those waiting for approval), for
    its members, leaders and admins. Others get an empty list."""
    volunteer = actor.require_volunteer()
    await _team(team_id)
    leads = await actor.leads(team_id)
    if not leads:
        mine = await TeamMembership.get_or_none(team_id=team_id, volunteer_id=volunteer.id)
        if mine is None or mine.role == TeamRole.PENDING or pending:
            return []
    roles = (TeamRole.PENDING,) if pending else MEMBER_ROLES
    rows = (
        await TeamMembership.filter(team_id=team_id, role__in=roles)
        .select_related("volunteer")
        .order_by("joined_at", "id")
    )
    rows.sort(key=lambda m: (m.role != TeamRole.LEADER, m.joined_at, m.id))
    return [
        Member(
            volunteer_id=m.volunteer_id,
            display_name=m.volunteer.display_name,
            phone=m.volunteer.phone if leads else None,
            role=TeamRole(m.role),
            joined_at=m.joined_at,
        )
        for m in rows
    ]


async def _membership(team_id: int, volunteer_id: int) -> TeamMembership:
    found = await TeamMembership.get_or_none(team_id=team_id, volunteer_id=volunteer_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("Not a member of this team."), ["volunteerId"])
    return found


async def _lock_leaders(team_id: int) -> None:
    """Inside a transaction: changes to one team's leaders take turns (the team row is locked
    until commit), so two leaders leaving at once cannot each count the other as remaining.
    SQLite's write lock already serialises them."""
    await Team.filter(id=team_id).select_for_update().only("id").first()


async def _ensure_another_leader(actor: Actor, team_id: int, volunteer_id: int) -> None:
    if actor.is_admin:
        return
    others = (
        await TeamMembership.filter(team_id=team_id, role=TeamRole.LEADER)
        .exclude(volunteer_id=volunteer_id)
        .exists()
    )
    if not others:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("The team needs at least one leader: make someone else a leader first."),
        )


async def set_role(actor: Actor, team_id: int, volunteer_id: int, role: TeamRole) -> Team:
    """Promotes a member to leader or makes a leader a member again (also approves)."""
    await actor.require_leader(team_id)
    team = await _team(team_id)
    if role not in MEMBER_ROLES:
        raise DomainError(ErrorCode.INVALID_INPUT, N_("The role is LEADER or MEMBER."), ["role"])
    async with in_transaction():
        await _lock_leaders(team_id)
        membership = await _membership(team_id, volunteer_id)
        if membership.role == role:
            return team
        if membership.role == TeamRole.LEADER:
            await _ensure_another_leader(actor, team_id, volunteer_id)
        await TeamMembership.filter(id=membership.id).update(role=role)
        await outbox.record(
            "TEAM_ROLE_CHANGED", team_id=team_id, volunteer_id=volunteer_id, role=str(role)
        )
    return team


async def approve(actor: Actor, team_id: int, volunteer_id: int) -> Team:
    """A leader lets an applicant in."""
    await actor.require_leader(team_id)
    team = await _team(team_id)
    updated = await TeamMembership.filter(
        team_id=team_id, volunteer_id=volunteer_id, role=TeamRole.PENDING
    ).update(role=TeamRole.MEMBER)
    if not updated:
        await _membership(team_id, volunteer_id)  # NOT_FOUND, or already a member: fine
    else:
        await outbox.record("TEAM_JOIN_APPROVED", team_id=team_id, volunteer_id=volunteer_id)
    return team


async def remove(actor: Actor, team_id: int, volunteer_id: int) -> Team:
    """A leader removes a member (or turns down an applicant); the person is told."""
    leader = await actor.require_leader(team_id)
    team = await _team(team_id)
    async with in_transaction():
        await _lock_leaders(team_id)
        membership = await _membership(team_id, volunteer_id)
        if membership.role == TeamRole.LEADER:
            await _ensure_another_leader(actor, team_id, volunteer_id)
        await TeamMembership.filter(id=membership.id).delete()
        await outbox.record(
            "TEAM_MEMBER_REMOVED",
            team_id=team_id,
            volunteer_id=volunteer_id,
            by_volunteer_id=leader.id,
        )
    return team


async def leave(actor: Actor, team_id: int) -> Team:
    volunteer = actor.require_volunteer()
    team = await _team(team_id)
    async with in_transaction():
        await _lock_leaders(team_id)
        membership = await _membership(team_id, volunteer.id)
        if membership.role == TeamRole.LEADER:
            await _ensure_another_leader(Actor(volunteer=volunteer), team_id, volunteer.id)
        await TeamMembership.filter(id=membership.id).delete()
    return team


async def invite(actor: Actor, team_id: int, phone: str) -> Team:
    """A leader adds a registered neighbour by phone number (as a member, no approval)."""
    await actor.require_leader(team_id)
    team = await _team(team_id)
    person = await Volunteer.get_or_none(phone=normalize_phone(phone))
    if person is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, N_("Nobody has registered with this phone number."), ["phone"]
        )
    try:
        membership, created = await TeamMembership.get_or_create(
            team_id=team_id, volunteer_id=person.id, defaults={"role": TeamRole.MEMBER}
        )
    except IntegrityError:
        return team  # invited twice at once
    if not created and membership.role == TeamRole.PENDING:
        await TeamMembership.filter(id=membership.id).update(role=TeamRole.MEMBER)
    if created or membership.role == TeamRole.PENDING:
        await outbox.record("TEAM_JOIN_APPROVED", team_id=team_id, volunteer_id=person.id)
    return team


async def set_join_approval(actor: Actor, team_id: int, required: bool) -> Team:
    await actor.require_leader(team_id)
    await _team(team_id)
    await Team.filter(id=team_id).update(join_approval=required)
    return await _team(team_id)
