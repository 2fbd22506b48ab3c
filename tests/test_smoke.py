from tests import factories
from tests.conftest import GraphQLClient


async def test_events_list_and_signup(client):
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    await factories.event(team, capacities=(1,))
    data = await gql.ok(
        "{ events(first: 5) { totalCount nodes { id title seatsLeft shifts { id seatsLeft } team { name } } } }"
    )
    assert data["events"]["totalCount"] == 1
    shift_id = data["events"]["nodes"][0]["shifts"][0]["id"]
    v = await factories.volunteer("甲")
    factories.log_in_as(client, v)
    m = "mutation($s: ID!, $k: String!) { signUp(input: {shiftId: $s, idempotencyKey: $k}) { signup { status waitlistPosition } userErrors { code message } } }"
    r = await gql.ok(m, {"s": shift_id, "k": "a"})
    assert r["signUp"]["signup"]["status"] == "CONFIRMED", r
    w = await factories.volunteer("乙")
    factories.log_in_as(client, w)
    r = await gql.ok(m, {"s": shift_id, "k": "b"})
    assert r["signUp"]["signup"] == {"status": "WAITLISTED", "waitlistPosition": 1}, r
