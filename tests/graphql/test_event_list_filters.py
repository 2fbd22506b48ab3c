"""The event list's filters, drafts and cursors, read with statements written once per shape
(`api.infra.rows`): each filter narrows to exactly the events it names, drafts reach only
their team's leaders and admins, and paging through ties in the start time loses nothing."""

from datetime import timedelta

from api.http.ids import encode_id
from api.models import EventKind, EventStatus, Shift
from tests import factories
from tests.conftest import GraphQLClient

LIST = """
query($first: Int, $after: String, $filter: EventFilter) {
  events(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { title }
  }
}
"""


async def _titles(gql: GraphQLClient, filter: dict | None = None, first: int = 50) -> list[str]:
    data = await gql.ok(LIST, {"first": first, "filter": filter})
    nodes = [n["title"] for n in data["events"]["nodes"]]
    assert data["events"]["totalCount"] == len(nodes)
    return nodes


async def test_each_filter_names_exactly_its_events(client, database):
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", district)
    elsewhere = await factories.community("洛阳镇")
    leader = await factories.volunteer("组长")
    team = await factories.team("甲队", leaders=(leader,))
    other = await factories.team("乙队")
    t0 = factories.soon(days=2)
    await factories.event(team, title="A 义剪", starts_at=t0, place=compound)
    await factories.event(
        other, title="B 清扫", kind=EventKind.CLEANUP, starts_at=t0 + timedelta(days=1)
    )
    full = await factories.event(
        team, title="C 50%_满员", starts_at=t0 + timedelta(days=2), place=elsewhere
    )
    await Shift.filter(event_id=full.id).update(seats_taken=5)
    await factories.event(team, title="D 草稿", status=EventStatus.DRAFT, starts_at=t0)
    await factories.event(team, title="E 已结束", starts_at=t0 - timedelta(days=10))
    gql = GraphQLClient(client)

    assert await _titles(gql) == ["A 义剪", "B 清扫", "C 50%_满员"]
    assert await _titles(gql, {"kinds": ["CLEANUP"]}) == ["B 清扫"]
    assert await _titles(gql, {"teamId": encode_id("Team", other.id)}) == ["B 清扫"]
    assert await _titles(gql, {"communityId": encode_id("Community", district.id)}) == ["A 义剪"]
    assert await _titles(gql, {"hasOpenSeats": False}) == ["C 50%_满员"]
    assert await _titles(gql, {"hasOpenSeats": True}) == ["A 义剪", "B 清扫"]
    assert await _titles(gql, {"search": "%_满"}) == ["C 50%_满员"]
    assert await _titles(gql, {"search": "义剪"}) == ["A 义剪"]
    assert await _titles(gql, {"search": "b 清"}) == ["B 清扫"]  # case-insensitive
    before = (t0 + timedelta(hours=1)).isoformat()
    assert await _titles(gql, {"startsBefore": before}) == ["E 已结束", "A 义剪"]
    after = (t0 + timedelta(hours=1)).isoformat()
    assert await _titles(gql, {"startsAfter": after}) == ["B 清扫", "C 50%_满员"]
    assert await _titles(gql, {"statuses": ["DRAFT"]}) == []  # anonymous
    factories.log_in_as(client, leader)
    assert await _titles(gql, {"statuses": ["DRAFT", "PUBLISHED"]}) == [
        "A 义剪",
        "D 草稿",
        "B 清扫",
        "C 50%_满员",
    ]
    factories.log_in_as(client, await factories.volunteer("别人"))
    assert await _titles(gql, {"statuses": ["DRAFT"]}) == []
    factories.log_in_as(client, await factories.volunteer("管理员", admin=True))
    assert await _titles(gql, {"statuses": ["DRAFT"]}) == ["D 草稿"]


async def test_paging_through_equal_start_times_loses_and_repeats_nothing(client, database):
    team = await factories.team()
    t0 = factories.soon(days=2)
    for i in range(7):
        await factories.event(team, title=f"活动{i}", starts_at=t0 + timedelta(hours=i // 3))
    gql = GraphQLClient(client)
    seen: list[str] = []
    after = None
    while True:
        data = await gql.ok(LIST, {"first": 2, "after": after})
        page = data["events"]
        assert page["totalCount"] == 7
        seen += [n["title"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"活动{i}" for i in range(7)]
