"""A team's people: leaders promote, demote and remove; members leave; applicants wait for
approval; a team always keeps a leader; phones only reach leaders and admins."""

from api.domain import members
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.http.ids import encode_id
from api.models import DomainEvent, Team, TeamMembership, TeamRole
from tests import factories
from tests.conftest import GraphQLClient

SET_ROLE = """
mutation($team: ID!, $who: ID!, $role: TeamRole!) {
  setTeamRole(input: {teamId: $team, volunteerId: $who, role: $role}) {
    team { memberCount } userErrors { code }
  }
}"""
REMOVE = """
mutation($team: ID!, $who: ID!) {
  removeTeamMember(input: {teamId: $team, volunteerId: $who}) { team { memberCount } userErrors { code } }
}"""
LEAVE = """
mutation($team: ID!) { leaveTeam(input: {teamId: $team}) { team { memberCount } userErrors { code } } }"""
JOIN = """
mutation($team: ID!) { joinTeam(input: {teamId: $team}) { team { memberCount } userErrors { code } } }"""


async def _role(team, person) -> str | None:
    found = await TeamMembership.get_or_none(team_id=team.id, volunteer_id=person.id)
    return found.role if found else None


async def test_leaders_promote_demote_and_remove(client, database):
    gql = GraphQLClient(client)
    leader, member, other = [await factories.volunteer(f"v{i}") for i in range(3)]
    team = await factories.team(leaders=(leader,), members=(member, other))
    ids = {"team": encode_id("Team", team.id)}

    factories.log_in_as(client, member)  # a member may not
    answer = await gql.ok(
        SET_ROLE, {**ids, "who": encode_id("Volunteer", other.id), "role": "LEADER"}
    )
    assert answer["setTeamRole"]["userErrors"][0]["code"] == "FORBIDDEN"

    factories.log_in_as(client, leader)
    answer = await gql.ok(
        SET_ROLE, {**ids, "who": encode_id("Volunteer", member.id), "role": "LEADER"}
    )
    assert answer["setTeamRole"]["userErrors"] == []
    assert await _role(team, member) == TeamRole.LEADER
    answer = await gql.ok(REMOVE, {**ids, "who": encode_id("Volunteer", other.id)})
    assert answer["removeTeamMember"]["team"]["memberCount"] == 2
    assert await _role(team, other) is None
    removed = await DomainEvent.get(kind="TEAM_MEMBER_REMOVED")
    assert removed.payload["volunteer_id"] == other.id  # they are told


async def test_a_team_keeps_a_leader(client, database):
    gql = GraphQLClient(client)
    leader, member = await factories.volunteer("队长"), await factories.volunteer()
    team = await factories.team(leaders=(leader,), members=(member,))
    factories.log_in_as(client, leader)
    answer = await gql.ok(LEAVE, {"team": encode_id("Team", team.id)})
    assert answer["leaveTeam"]["userErrors"][0]["code"] == "INVALID_STATE"
    answer = await gql.ok(
        SET_ROLE,
        {
            "team": encode_id("Team", team.id),
            "who": encode_id("Volunteer", leader.id),
            "role": "MEMBER",
        },
    )
    assert answer["setTeamRole"]["userErrors"][0]["code"] == "INVALID_STATE"
    assert await _role(team, leader) == TeamRole.LEADER
    factories.log_in_as(client, member)
    answer = await gql.ok(LEAVE, {"team": encode_id("Team", team.id)})
    assert answer["leaveTeam"]["team"]["memberCount"] == 1


async def test_joining_a_team_that_approves_waits_for_a_leader(client, database):
    gql = GraphQLClient(client)
    leader, applicant = await factories.volunteer("队长"), await factories.volunteer("新人")
    team = await factories.team(leaders=(leader,))
    await members.set_join_approval(Actor(volunteer=leader), team.id, True)
    factories.log_in_as(client, applicant)
    answer = await gql.ok(JOIN, {"team": encode_id("Team", team.id)})
    assert answer["joinTeam"]["team"]["memberCount"] == 1  # not yet a member
    assert await _role(team, applicant) == TeamRole.PENDING
    assert await members.members(Actor(volunteer=applicant), team.id) == []
    waiting = await members.members(Actor(volunteer=leader), team.id, pending=True)
    assert [(m.display_name, m.phone) for m in waiting] == [("新人", applicant.phone)]
    await members.approve(Actor(volunteer=leader), team.id, applicant.id)
    assert await _role(team, applicant) == TeamRole.MEMBER


async def test_phones_in_the_members_list_only_for_leaders(database):
    leader, member = await factories.volunteer("队长"), await factories.volunteer("队员")
    team = await factories.team(leaders=(leader,), members=(member,))
    seen_by_leader = await members.members(Actor(volunteer=leader), team.id)
    assert [(m.display_name, m.role, m.phone) for m in seen_by_leader] == [
        ("队长", TeamRole.LEADER, leader.phone),
        ("队员", TeamRole.MEMBER, member.phone),
    ]
    seen_by_member = await members.members(Actor(volunteer=member), team.id)
    assert [m.phone for m in seen_by_member] == [None, None]
    stranger = await factories.volunteer("路人")
    assert await members.members(Actor(volunteer=stranger), team.id) == []


async def test_inviting_by_phone(database):
    leader, neighbour = await factories.volunteer("队长"), await factories.volunteer("邻居")
    team = await factories.team(leaders=(leader,))
    await members.invite(Actor(volunteer=leader), team.id, f"+86 {neighbour.phone}")
    assert await _role(team, neighbour) == TeamRole.MEMBER
    try:
        await members.invite(Actor(volunteer=leader), team.id, "13999999999")
    except DomainError as exc:
        assert exc.code == ErrorCode.NOT_FOUND
    else:
        raise AssertionError("an unknown phone was invited")
    assert await Team.get(id=team.id)


async def test_leaders_leaving_or_removing_each_other_at_once_keep_a_leader(database):
    """Each of these alone is allowed (another leader remains); all at once, a team must still
    be left with a leader (a check-then-delete race would leave it with none)."""
    import asyncio

    leaders = [await factories.volunteer(f"队长{i}") for i in range(3)]
    team = await factories.team(leaders=tuple(leaders))
    outcomes = await asyncio.gather(
        members.leave(Actor(volunteer=leaders[0]), team.id),
        members.remove(Actor(volunteer=leaders[1]), team.id, leaders[2].id),
        members.set_role(Actor(volunteer=leaders[2]), team.id, leaders[1].id, TeamRole.MEMBER),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, DomainError) for o in refused), refused
    assert await TeamMembership.filter(team_id=team.id, role=TeamRole.LEADER).count() >= 1
    # Two leaders leaving together: one goes, one stays.
    pair = [await factories.volunteer(f"组长{i}") for i in range(2)]
    second = await factories.team(leaders=tuple(pair))
    outcomes = await asyncio.gather(
        *(members.leave(Actor(volunteer=p), second.id) for p in pair), return_exceptions=True
    )
    assert await TeamMembership.filter(team_id=second.id, role=TeamRole.LEADER).count() == 1
    assert sum(isinstance(o, DomainError) for o in outcomes) == 1
