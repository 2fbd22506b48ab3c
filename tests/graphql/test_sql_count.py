"""No N+1: the number of SQL statements per request does not grow with the page size."""

from datetime import timedelta

from api.http.ids import encode_id
from tests import factories
from tests.conftest import GraphQLClient
from tests.sqlcount import count_sql

PAGE = """
query($first: Int!) {
  events(first: $first) {
    totalCount
    edges { cursor }
    nodes {
      id title kind startsAt location { name }
      team { id name memberCount community { name } }
      community { name parent { name } }
      capacity seatsTaken seatsLeft waitlistCount
      shifts { id role capacity seatsTaken seatsLeft waitlistCount event { id } }
    }
  }
}
"""


async def test_statements_per_request_constant_in_page_size(client, database):
    place = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", place)
    teams = [await factories.team(f"队{i}", place=place) for i in range(7)]
    for i in range(120):
        await factories.event(
            teams[i % 7],
            title=f"活动{i}",
            starts_at=factories.soon(days=1) + timedelta(hours=i),
            capacities=(3, 5),
            place=compound,
        )
    gql = GraphQLClient(client)
    counts = {}
    for size in (1, 20, 100):
        with count_sql() as statements:
            data = await gql.ok(PAGE, {"first": size})
        assert len(data["events"]["nodes"]) == size
        counts[size] = len(statements)
    print(counts)
    assert counts[1] == counts[20] == counts[100], counts
    assert 4 <= counts[100] <= 9, counts  # version, events, count, shifts, teams, places…


async def test_viewer_signup_per_shift_is_one_query(client, database):
    volunteer = await factories.volunteer()
    team = await factories.team()
    small = await factories.event(team, title="small", capacities=(3,))
    large = await factories.event(team, title="large", capacities=(3,) * 12)
    factories.log_in_as(client, volunteer)
    gql = GraphQLClient(client)
    query = "query($id: ID!) { node(id: $id) { ... on Event { shifts { viewerSignup { id } } } } }"
    counts = []
    for event in (small, large):
        with count_sql() as statements:
            data = await gql.ok(query, {"id": encode_id("Event", event.id)})
        assert all(s["viewerSignup"] is None for s in data["node"]["shifts"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_a_leaders_roster_query_does_not_grow_with_the_sign_ups(client, database):
    from api.models import Shift, Signup, SignupStatus

    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    counts = []
    for size in (2, 20):
        event = await factories.event(team, title=f"E{size}", capacities=(size,))
        shift = await Shift.get(event_id=event.id)
        for i in range(size):
            await Signup.create(
                shift=shift,
                volunteer=await factories.volunteer(f"v{size}-{i}"),
                status=SignupStatus.CONFIRMED,
                idempotency_key="k",
            )
        factories.log_in_as(client, leader)
        query = """query($id: ID!) { node(id: $id) { ... on Shift {
          signups(first: 100) { nodes { status hours volunteer { displayName phone } } } } } }"""
        with count_sql() as statements:
            data = await GraphQLClient(client).ok(query, {"id": encode_id("Shift", shift.id)})
        assert all(n["volunteer"]["phone"] for n in data["node"]["signups"]["nodes"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
