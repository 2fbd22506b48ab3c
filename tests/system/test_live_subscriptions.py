"""Live subscriptions over real WebSockets, against two `linli serve` processes on one database
(SQLite and PostgreSQL): a change made through one server reaches subscribers of the other.

Also: who may subscribe to what (a draft event is nobody's business but its team's), the
session cookie and the API token in `connection_init` both authenticate, a token without a
read scope and a too costly selection are refused, a handshake from another site is refused,
and the caps on subscriptions per connection and WebSockets per address hold. On PostgreSQL,
the response cache built on the change bus never serves an answer older than a write made
through the other server, and answers a repeat from its cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from api.domain import api_tokens
from api.domain.api_tokens import ApiScope
from api.http.ids import decode_id, encode_id
from api.infra.change_bus import POLL_SECONDS
from api.models import EventStatus
from tests import factories
from tests.conftest import BACKENDS
from tests.support.client import cookie_for
from tests.support.databases import fresh_database, orm, write_elsewhere
from tests.support.live import LiveClient
from tests.support.server import LinliServer
from tests.support.storm import SIGN_UP

SHIFT = """subscription($id: ID!) { shiftUpdated(shiftId: $id) {
  id seatsTaken seatsLeft waitlistCount viewerSignup { status } } }"""
EVENT = """subscription($id: ID!) { eventUpdated(eventId: $id) {
  title seatsTaken shifts { seatsTaken } } }"""
SEATS = "query($id: ID!) { node(id: $id) { ... on Shift { seatsTaken } } }"
ENV = {
    "LINLI_SUBSCRIPTIONS_PER_CONNECTION": "3",
    "LINLI_WEBSOCKETS_PER_ADDRESS": "4",
    "LINLI_MAX_QUERY_COST": "100",
}


@dataclass
class World:
    backend: str
    a: LinliServer
    b: LinliServer
    shift: str  # global ids
    event: str
    draft_shift: str
    leader: int
    volunteers: list[int]
    token: str
    token_without_read: str
    url: str
    to_hide: tuple[int, str]  # an event about to be unpublished: its pk, a shift's id


@pytest.fixture(scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str | None,
) -> AsyncIterator[World]:
    backend = request.param
    if backend == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    directory = tmp_path_factory.mktemp(f"live-{backend}")
    url = await fresh_database(backend, directory, postgres_server)
    async with orm(url):
        leader = await factories.volunteer("队长")
        people = [await factories.volunteer(f"邻居{i}") for i in range(6)]
        team = await factories.team("邻里互助队", leaders=(leader,))
        event = await factories.event(team, title="义剪", capacities=(2,))
        draft = await factories.event(team, title="草稿", status=EventStatus.DRAFT)
        to_hide = await factories.event(team, title="将撤回")
        hidden_shift = (await to_hide.shifts.all())[0]
        shift = (await event.shifts.all())[0]
        draft_shift = (await draft.shifts.all())[0]
        token, _ = await api_tokens.create_token_for(
            people[0], "dashboard", [ApiScope.READ_PERSONAL, ApiScope.WRITE_SIGNUPS], None
        )
        no_read, _ = await api_tokens.create_token_for(
            people[1], "writer", [ApiScope.WRITE_SIGNUPS], None
        )
    a = LinliServer(url, log_path=directory / "a.log", env=ENV)
    b = LinliServer(url, log_path=directory / "b.log", env=ENV)
    with a, b:
        yield World(
            backend,
            a,
            b,
            encode_id("Shift", shift.id),
            encode_id("Event", event.id),
            encode_id("Shift", draft_shift.id),
            leader.id,
            [p.id for p in people],
            token,
            no_read,
            url,
            (to_hide.id, encode_id("Shift", hidden_shift.id)),
        )


async def _sign_up(server: LinliServer, shift: str, volunteer_id: int, key: str) -> dict:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": SIGN_UP,
                "variables": {"input": {"shiftId": shift, "idempotencyKey": key}},
            },
            headers=cookie_for(volunteer_id),
        )
    body = response.json()["data"]["signUp"]
    assert body["userErrors"] == [], body
    return body["signup"]


async def _cancel(server: LinliServer, signup_id: str, volunteer_id: int) -> None:
    query = """mutation($input: CancelSignupInput!) {
      cancelSignup(input: $input) { userErrors { code } } }"""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": {"input": {"signupId": signup_id}}},
            headers=cookie_for(volunteer_id),
        )
    assert response.json()["data"]["cancelSignup"]["userErrors"] == []


async def test_a_subscriber_on_one_server_sees_a_sign_up_made_on_the_other(world: World) -> None:
    async with await LiveClient.open(world.a.base_url) as live:
        await live.subscribe("seats", SHIFT, {"id": world.shift})
        await live.subscribe("event", EVENT, {"id": world.event})
        first = (await live.data("seats"))["shiftUpdated"]
        assert (first["seatsTaken"], first["seatsLeft"], first["viewerSignup"]) == (0, 2, None)
        assert (await live.data("event"))["eventUpdated"]["seatsTaken"] == 0

        signup = await _sign_up(world.b, world.shift, world.volunteers[2], "live-1")
        assert signup["status"] == "CONFIRMED"
        after = (await live.data("seats"))["shiftUpdated"]
        assert (after["seatsTaken"], after["seatsLeft"]) == (1, 1)
        event = (await live.data("event"))["eventUpdated"]
        assert (event["seatsTaken"], event["shifts"]) == (1, [{"seatsTaken": 1}])

        await _cancel(world.b, signup["id"], world.volunteers[2])  # back as it was
        assert (await live.data("seats"))["shiftUpdated"]["seatsTaken"] == 0
        assert (await live.data("event"))["eventUpdated"]["seatsTaken"] == 0


async def test_a_burst_of_sign_ups_ends_in_the_final_count(world: World) -> None:
    async with await LiveClient.open(world.a.base_url) as live:
        await live.subscribe("seats", SHIFT, {"id": world.shift})
        assert (await live.data("seats"))["shiftUpdated"]["seatsTaken"] == 0
        signups = await asyncio.gather(
            *(_sign_up(world.b, world.shift, v, f"burst-{v}") for v in world.volunteers[2:5])
        )
        assert sorted(s["status"] for s in signups) == ["CONFIRMED", "CONFIRMED", "WAITLISTED"]
        seen = []
        while not seen or (seen[-1]["seatsTaken"], seen[-1]["waitlistCount"]) != (2, 1):
            seen.append((await live.data("seats"))["shiftUpdated"])
        # each message differs from the one before (equal answers are not sent again)
        assert all(x != y for x, y in zip(seen, seen[1:], strict=False))
        for signup, volunteer in zip(signups, world.volunteers[2:5], strict=True):
            await _cancel(world.b, signup["id"], volunteer)


async def test_a_subscriber_sees_their_attendance_recorded_elsewhere(world: World) -> None:
    """A check-in or an attendance mark changes only the sign-up (no seat count moves): the
    volunteer's live shift shows it all the same, on SQLite as on PostgreSQL."""
    me = world.volunteers[5]
    signup = await _sign_up(world.b, world.shift, me, "attended")
    _, signup_pk = decode_id(signup["id"])
    try:
        async with await LiveClient.open(world.a.base_url, headers=cookie_for(me)) as live:
            await live.subscribe("s", SHIFT, {"id": world.shift})
            first = (await live.data("s"))["shiftUpdated"]
            assert first["viewerSignup"] == {"status": "CONFIRMED"}
            # The sign-up's own wake-up (SQLite: the next poll) has passed: only the mark
            # below can bring the next message.
            await asyncio.sleep(3 * POLL_SECONDS)
            await write_elsewhere(  # the leader's mark, made by another worker
                world.url,
                "UPDATE signup SET status = 'ATTENDED', checked_in_at = CURRENT_TIMESTAMP "
                f"WHERE id = {signup_pk}",
            )
            after = (await live.data("s"))["shiftUpdated"]
            assert after["viewerSignup"] == {"status": "ATTENDED"}
            assert after["seatsTaken"] == first["seatsTaken"]
    finally:
        await write_elsewhere(
            world.url,
            f"UPDATE signup SET status = 'CONFIRMED', checked_in_at = NULL WHERE id = {signup_pk}",
        )
        await _cancel(world.b, signup["id"], me)


async def test_the_session_cookie_and_the_token_in_connection_init_authenticate(
    world: World,
) -> None:
    me = world.volunteers[0]  # the token's owner
    signup = await _sign_up(world.b, world.shift, me, "mine")
    try:
        by_cookie = await LiveClient.open(world.a.base_url, headers=cookie_for(me))
        by_token = await LiveClient.open(
            world.a.base_url, payload={"authorization": f"Bearer {world.token}"}
        )
        anonymous = await LiveClient.open(world.a.base_url)
        for live in (by_cookie, by_token, anonymous):
            await live.subscribe("s", SHIFT, {"id": world.shift})
        assert (await by_cookie.data("s"))["shiftUpdated"]["viewerSignup"] == {
            "status": signup["status"]
        }
        assert (await by_token.data("s"))["shiftUpdated"]["viewerSignup"] == {
            "status": signup["status"]
        }
        assert (await anonymous.data("s"))["shiftUpdated"]["viewerSignup"] is None
        for live in (by_cookie, by_token, anonymous):
            await live.close()
    finally:
        await _cancel(world.b, signup["id"], me)


async def test_a_bad_token_closes_the_connection(world: World) -> None:
    with pytest.raises(ConnectionClosedError) as closed:
        await LiveClient.open(world.a.base_url, payload={"authorization": "Bearer linli_nope"})
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_token_without_a_read_scope_is_refused(world: World) -> None:
    async with await LiveClient.open(
        world.a.base_url, payload={"authorization": f"Bearer {world.token_without_read}"}
    ) as live:
        await live.subscribe("s", SHIFT, {"id": world.shift})
        message = await live.next("s")
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_draft_event_is_refused_to_anonymous_and_shown_to_its_leader(world: World) -> None:
    async with await LiveClient.open(world.a.base_url) as anonymous:
        await anonymous.subscribe("draft", SHIFT, {"id": world.draft_shift})
        refused = await anonymous.next("draft")
        await anonymous.subscribe("bogus", SHIFT, {"id": "not-an-id"})
        bogus = await anonymous.next("bogus")
    # the same error as for an id that does not exist: nothing tells that it does
    assert refused["type"] == bogus["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert refused["payload"][0]["message"] == bogus["payload"][0]["message"]
    async with await LiveClient.open(world.a.base_url, headers=cookie_for(world.leader)) as leader:
        await leader.subscribe("draft", SHIFT, {"id": world.draft_shift})
        assert (await leader.data("draft"))["shiftUpdated"]["seatsTaken"] == 0


async def test_a_subscription_ends_when_its_event_is_no_longer_visible(world: World) -> None:
    event_pk, shift = world.to_hide
    async with await LiveClient.open(world.a.base_url) as live:
        await live.subscribe("s", SHIFT, {"id": shift})
        assert (await live.data("s"))["shiftUpdated"]["seatsTaken"] == 0
        await write_elsewhere(world.url, f"UPDATE event SET status = 'DRAFT' WHERE id = {event_pk}")
        ended = await live.next("s")
        assert ended["type"] == "next" and ended["payload"]["data"] is None
        assert ended["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await live.next("s"))["type"] == "complete"


async def test_queries_and_costly_selections_are_refused(world: World) -> None:
    costly = """subscription($id: ID!) { shiftUpdated(shiftId: $id) {
      event { shifts { event { shifts { id } } } } } }"""
    async with await LiveClient.open(world.a.base_url) as live:
        await live.subscribe("costly", costly, {"id": world.shift})
        too_costly = await live.next("costly")
        await live.subscribe("query", SEATS, {"id": world.shift})
        query = await live.next("query")
    assert too_costly["type"] == "error"
    assert too_costly["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert query["type"] == "error"  # queries and mutations go over HTTP


async def test_a_handshake_from_another_site_is_refused(world: World) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await LiveClient.open(
            world.a.base_url, headers=cookie_for(world.leader), origin="http://evil.example"
        )
    assert refused.value.response.status_code == 403
    same_site = await LiveClient.open(world.a.base_url, origin=world.a.base_url)
    await same_site.close()


async def test_caps_on_subscriptions_and_websockets(world: World) -> None:
    async with await LiveClient.open(world.a.base_url) as live:
        for i in range(3):
            await live.subscribe(f"s{i}", SHIFT, {"id": world.shift})
            assert (await live.data(f"s{i}"))["shiftUpdated"]["seatsTaken"] == 0
        await live.subscribe("one-more", SHIFT, {"id": world.shift})
        assert (await live.next("one-more"))["type"] == "error"
    sockets = [await LiveClient.open(world.a.base_url) for _ in range(4)]
    try:
        with pytest.raises(InvalidStatus) as refused:
            await LiveClient.open(world.a.base_url)
        assert refused.value.response.status_code == 429
    finally:
        for socket in sockets:
            await socket.close()


async def test_the_response_cache_never_serves_an_answer_older_than_a_write(world: World) -> None:
    """Anonymous answers are cached on both databases (on PostgreSQL through the change bus):
    a repeat is a cache hit (304 for its ETag), and after a sign-up through the other server
    the very next answer has the new count."""
    body = {"query": SEATS, "variables": {"id": world.shift}}
    async with httpx.AsyncClient(base_url=world.a.base_url, timeout=15) as http:
        first = await http.post("/graphql", json=body)
        etag = first.headers.get("etag")
        assert etag, "the answer was not cached"
        repeat = await http.post("/graphql", json=body, headers={"If-None-Match": etag})
        assert repeat.status_code == 304
        for round_ in range(3):
            signup = await _sign_up(world.b, world.shift, world.volunteers[5], f"cache-{round_}")
            after = await http.post("/graphql", json=body, headers={"If-None-Match": etag})
            assert after.status_code == 200
            assert after.json()["data"]["node"]["seatsTaken"] == 1
            etag = after.headers["etag"]
            await _cancel(world.b, signup["id"], world.volunteers[5])
            again = await http.post("/graphql", json=body)
            assert again.json()["data"]["node"]["seatsTaken"] == 0
            etag = again.headers["etag"]
