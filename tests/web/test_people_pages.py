"""The team's people and the admin console on the phone: plain forms, zh-CN, permissions."""

import httpx

from api.http.ids import encode_id
from api.models import Community, Team, TeamMembership, TeamRole, Volunteer
from tests import factories
from tests.factories import log_in_as

JSON = {"Accept": "text/html"}


async def test_members_page_for_leaders_members_and_strangers(client: httpx.AsyncClient) -> None:
    leader, member = await factories.volunteer("王队长"), await factories.volunteer("李阿姨")
    team = await factories.team(leaders=(leader,), members=(member,))
    url = f"/teams/{encode_id('Team', team.id)}/members"

    log_in_as(client, None)
    assert (await client.get(url)).status_code == 303  # log in first

    log_in_as(client, member)
    page = await client.get(url)
    assert page.status_code == 200 and "王队长" in page.text and "李阿姨" in page.text
    assert member.phone not in page.text and "设为队长" not in page.text

    log_in_as(client, await factories.volunteer("路人"))
    page = await client.get(url)
    assert "只有团队成员可以查看成员名单" in page.text and "李阿姨" not in page.text

    log_in_as(client, leader)
    page = await client.get(url)
    assert member.phone in page.text and "设为队长" in page.text
    done = await client.post(
        url,
        data={"action": "promote", "volunteerId": encode_id("Volunteer", member.id)},
    )
    assert done.status_code == 303
    assert (await TeamMembership.get(volunteer_id=member.id)).role == TeamRole.LEADER


async def test_invite_approval_and_leaving_without_scripts(client: httpx.AsyncClient) -> None:
    leader, neighbour = await factories.volunteer("王队长"), await factories.volunteer("张大爷")
    team = await factories.team(leaders=(leader,))
    team_id = encode_id("Team", team.id)
    url = f"/teams/{team_id}/members"
    log_in_as(client, leader)
    refused = await client.post(url, data={"action": "invite", "phone": "13999999999"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert (
        await client.post(url, data={"action": "invite", "phone": neighbour.phone})
    ).status_code == 303
    await client.post(url, data={"action": "approval", "required": "on"})
    assert (await Team.get(id=team.id)).join_approval

    log_in_as(client, neighbour)
    left = await client.post(url, data={"action": "leave"})
    assert left.status_code == 303 and left.headers["location"] == f"/teams/{team_id}"
    assert not await TeamMembership.exists(volunteer_id=neighbour.id)
    # Joining again, without scripts, now waits for approval.
    joined = await client.post(
        "/me", data={"teamId": team_id}, headers={"Referer": f"http://testserver/teams/{team_id}"}
    )
    assert joined.status_code == 303
    assert (await TeamMembership.get(volunteer_id=neighbour.id)).role == TeamRole.PENDING
    log_in_as(client, leader)
    page = await client.get(url)
    assert "申请加入" in page.text and "张大爷" in page.text


async def test_admin_console_places_teams_admins(client: httpx.AsyncClient) -> None:
    admin, leader = (
        await factories.volunteer("管理员", admin=True),
        await factories.volunteer("王队长"),
    )
    log_in_as(client, leader)
    assert (await client.get("/admin")).status_code == 403
    assert (
        await client.post("/admin", data={"action": "add-place", "name": "别处"})
    ).status_code == 403
    log_in_as(client, admin)
    page = await client.get("/admin")
    assert page.status_code == 200 and "管理后台" in page.text and "服务时长报表" in page.text
    assert (
        await client.post("/admin", data={"action": "add-place", "name": "东园镇", "parentId": ""})
    ).status_code == 303
    town = await Community.get(name="东园镇")
    await client.post(
        "/admin",
        data={
            "action": "add-place",
            "name": "东园社区",
            "parentId": encode_id("Community", town.id),
        },
    )
    assert (await Community.get(name="东园社区")).parent_id == town.id
    bad = await client.post("/admin", data={"action": "add-place", "name": "  "})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    nonsense = await client.post("/admin", data={"action": "rename-place", "name": "x"})
    assert nonsense.status_code == 422
    await client.post(
        "/admin", data={"action": "create-team", "name": "平安巡逻队", "communityId": ""}
    )
    team = await Team.get(name="平安巡逻队")
    await client.post(
        "/admin",
        data={
            "action": "assign-leader",
            "teamId": encode_id("Team", team.id),
            "phone": leader.phone,
        },
    )
    assert (
        await TeamMembership.get(team_id=team.id, volunteer_id=leader.id)
    ).role == TeamRole.LEADER
    await client.post("/admin", data={"action": "grant-admin", "phone": leader.phone})
    assert (await Volunteer.get(id=leader.id)).is_admin
    page = await client.get("/admin")
    assert "平安巡逻队" in page.text and "东园社区" in page.text
