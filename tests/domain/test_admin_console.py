"""The admin console's rules: the place tree, teams and leaders, administrators, and the
per-volunteer hours report with each ledger line's provenance."""

from datetime import timedelta

from api.domain import checkin, hours_report, places, signups, teams
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.http.ids import encode_id
from api.infra import clock
from api.models import Community, CommunityLevel, HoursMethod, Shift, SignupStatus, TeamMembership
from api.settings import SHANGHAI
from tests import factories
from tests.conftest import GraphQLClient


async def _refused(work, code: ErrorCode) -> None:
    try:
        await work
    except DomainError as exc:
        assert exc.code == code, exc.message
    else:
        raise AssertionError(f"expected {code}")


async def test_the_place_tree(client, database):
    gql = GraphQLClient(client)
    admin, leader = await factories.volunteer("管理员", admin=True), await factories.volunteer()
    factories.log_in_as(client, admin)
    add = "mutation($n: String!, $p: ID) { addCommunity(input: {name: $n, parentId: $p}) { community { id name level } userErrors { code field } } }"
    town = (await gql.ok(add, {"n": "东园镇", "p": None}))["addCommunity"]["community"]
    first = (await gql.ok(add, {"n": "东园社区", "p": town["id"]}))["addCommunity"]["community"]
    second = (await gql.ok(add, {"n": "西园社区", "p": town["id"]}))["addCommunity"]["community"]
    compound = (await gql.ok(add, {"n": "尊湖小区", "p": first["id"]}))["addCommunity"]["community"]
    assert [town["level"], first["level"], compound["level"]] == [
        "DISTRICT",
        "COMMUNITY",
        "COMPOUND",
    ]
    twice = await gql.ok(add, {"n": "尊湖小区", "p": first["id"]})
    assert twice["addCommunity"]["userErrors"][0]["field"] == ["name"]
    under_compound = await gql.ok(add, {"n": "1号楼", "p": compound["id"]})
    assert under_compound["addCommunity"]["userErrors"][0]["code"] == "INVALID_INPUT"

    move = "mutation($c: ID!, $p: ID!) { moveCompound(input: {communityId: $c, parentId: $p}) { community { parent { name } } userErrors { code } } }"
    moved = await gql.ok(move, {"c": compound["id"], "p": second["id"]})
    assert moved["moveCompound"]["community"]["parent"]["name"] == "西园社区"
    refused = await gql.ok(move, {"c": first["id"], "p": second["id"]})
    assert refused["moveCompound"]["userErrors"][0]["code"] == "INVALID_INPUT"

    rename = "mutation($c: ID!, $n: String!) { renameCommunity(input: {communityId: $c, name: $n}) { community { name } userErrors { code } } }"
    assert (await gql.ok(rename, {"c": compound["id"], "n": "尊湖花园"}))["renameCommunity"][
        "community"
    ]["name"] == "尊湖花园"
    tree = await places.place_tree(Actor(volunteer=admin))
    assert [(p.name, depth) for p, depth in tree] == [
        ("东园镇", 0),
        ("东园社区", 1),
        ("西园社区", 1),
        ("尊湖花园", 2),
    ]
    factories.log_in_as(client, leader)
    assert (await gql.ok(add, {"n": "别处", "p": None}))["addCommunity"]["userErrors"][0][
        "code"
    ] == "FORBIDDEN"
    assert not await Community.filter(name="别处").exists()
    assert await Community.filter(level=CommunityLevel.COMPOUND).count() == 1


async def test_teams_leaders_and_admins(database):
    admin, person = await factories.volunteer("管理员", admin=True), await factories.volunteer()
    team = await factories.team()
    await teams.assign_leader(Actor(volunteer=admin), team.id, person.id)
    assert (await TeamMembership.get(team_id=team.id, volunteer_id=person.id)).role == "LEADER"
    renamed = await teams.update_team(Actor(volunteer=person), team.id, name="平安巡逻队")
    assert renamed.name == "平安巡逻队"
    await _refused(
        teams.assign_leader(Actor(volunteer=person), team.id, person.id), ErrorCode.FORBIDDEN
    )
    promoted = await teams.set_admin(Actor(volunteer=admin), person.id, True)
    assert promoted.is_admin
    await teams.set_admin(Actor(volunteer=promoted), admin.id, False)
    await _refused(
        teams.set_admin(Actor(volunteer=promoted), person.id, False), ErrorCode.INVALID_STATE
    )


async def test_the_hours_report_has_totals_and_provenance(database):
    admin, leader = (
        await factories.volunteer("管理员", admin=True),
        await factories.volunteer("队长"),
    )
    worker, other = await factories.volunteer("张芳"), await factories.volunteer("李明")
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    events = [
        await factories.event(team, starts_at=start + timedelta(days=d), hours=2) for d in (0, 1)
    ]
    shifts = [await Shift.get(event_id=e.id) for e in events]
    for i, shift in enumerate(shifts):
        mine = await signups.sign_up(Actor(volunteer=worker), shift.id, f"w{i}")
        theirs = await signups.sign_up(Actor(volunteer=other), shift.id, f"o{i}")
        clock.set_clock(lambda s=shift: s.starts_at + timedelta(hours=1))
        await checkin.mark_attendance(Actor(volunteer=leader), mine.id, SignupStatus.ATTENDED, None)
        if i == 0:
            await checkin.mark_attendance(
                Actor(volunteer=leader), theirs.id, SignupStatus.ATTENDED, 1.5
            )
    clock.set_clock(None)
    day = start.astimezone(SHANGHAI).date()
    report = await hours_report.hours_report(Actor(volunteer=admin), day, day + timedelta(days=1))
    assert [(p.name, p.hours) for p in report] == [("张芳", 4.0), ("李明", 1.5)]
    line = report[0].lines[0]
    assert (line.event_title, line.hours, line.method, line.recorded_by) == (
        "义剪服务",
        2.0,
        HoursMethod.LEADER,
        "队长",
    )
    just_first_day = await hours_report.hours_report(Actor(volunteer=leader), day, day, team.id)
    assert [(p.name, p.hours) for p in just_first_day] == [("张芳", 2.0), ("李明", 1.5)]
    await _refused(
        hours_report.hours_report(Actor(volunteer=leader), day, day), ErrorCode.FORBIDDEN
    )
    await _refused(
        hours_report.hours_report(Actor(volunteer=admin), day, day - timedelta(days=1)),
        ErrorCode.INVALID_INPUT,
    )
    assert encode_id("Team", team.id)


async def test_the_hours_report_downloads_as_csv_and_xlsx(client, database):
    import io

    from openpyxl import load_workbook

    admin, leader = (
        await factories.volunteer("管理员", admin=True),
        await factories.volunteer("队长"),
    )
    worker = await factories.volunteer("=张芳")  # a name that looks like a formula
    team = await factories.team(leaders=(leader,))
    start = factories.soon()
    shift = await Shift.get(event_id=(await factories.event(team, starts_at=start)).id)
    signup = await signups.sign_up(Actor(volunteer=worker), shift.id, "k")
    clock.set_clock(lambda: start + timedelta(hours=1))
    await checkin.mark_attendance(Actor(volunteer=leader), signup.id, SignupStatus.ATTENDED, None)
    day = start.astimezone(SHANGHAI).date().isoformat()
    query = f"?from={day}&to={day}"

    factories.log_in_as(client, admin)
    answer = await client.get(f"/admin/hours.csv{query}")
    assert answer.status_code == 200
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff姓名,手机号,服务日期")
    assert "'=张芳" in text and "组织者登记" in text and "队长" in text

    book = load_workbook(io.BytesIO((await client.get(f"/admin/hours.xlsx{query}")).content))
    assert [c.value for c in book["汇总"][2]] == ["'=张芳", worker.phone, 2.0, 1]

    assert (await client.get("/admin/hours.csv?from=2026-13-01")).status_code == 400
    factories.log_in_as(client, leader)
    assert (await client.get(f"/admin/hours.csv{query}")).status_code == 403
    team_query = f"{query}&team={encode_id('Team', team.id)}"
    assert (await client.get(f"/admin/hours.csv{team_query}")).status_code == 200
    factories.log_in_as(client, None)
    assert (await client.get(f"/admin/hours.xlsx{team_query}")).status_code == 403
