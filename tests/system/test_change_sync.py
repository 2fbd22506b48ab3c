"""A third party syncing through the change feed stays equal to a full re-read.

A real `linli serve` with several workers (SQLite 2, PostgreSQL 3) takes, all at once and over
HTTP: events created (published and drafts, by two teams), edited, published, cancelled; shifts
added and removed; sign-ups and cancellations in parallel bursts (seat counts); teams and places
edited; and, beside the API, writes straight to the database as a job or an operator would make
them (an event completed, an event deleted with its shifts). Meanwhile two sync clients — an
anonymous third party and one team's organizer — poll `changes` over and over (each poll is
"a minute" of a client syncing every minute), read again what the feed names, and drop what it
buries. Afterwards each one's copy equals a full re-read of what it may see, field by field
(seat counts and `updatedAt` included), and the organizer's copy holds its own drafts and
never the other team's."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.ids import encode_id
from api.models import EventStatus
from tests.support import factories
from tests.support.client import cookie_for, http_client
from tests.support.databases import BACKENDS, fresh_database, orm, write_elsewhere
from tests.support.seeding import many_volunteers
from tests.support.server import LinliServer

WORKERS = {"sqlite": 2, "postgres": 3}
ROUNDS = 4
VOLUNTEERS = 24
LONG_AGO = "2000-01-01T00:00:00+00:00"
PUBLIC = ["PUBLISHED", "CANCELLED", "COMPLETED"]

E = """fragment E on Event { id title status startsAt cancelReason updatedAt capacity seatsTaken
  waitlistCount shifts { id } team { id } }"""
S = "fragment S on Shift { id role capacity seatsTaken waitlistCount startsAt updatedAt event { id } }"
T = "fragment T on Team { id name description updatedAt }"
C = "fragment C on Community { id name updatedAt parent { id } }"
NODES = "\n".join(
    ["query($ids: [ID!]!) { nodes(ids: $ids) { __typename ...E ...S ...T ...C } }", E, S, T, C]
)
EVENTS = "\n".join(
    [
        """query($after: String, $filter: EventFilter) {
  events(first: 50, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor } nodes { __typename ...E shifts { __typename ...S } } } }""",
        E,
        S,
    ]
)
TEAMS = "\n".join(
    [
        """query($after: String) { teams(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { __typename ...T } } }""",
        T,
    ]
)
PLACES = "\n".join(
    [
        """query($after: String) { communities(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { __typename ...C } } }""",
        C,
    ]
)
OPEN_SHIFTS = """query($after: String) { events(first: 50, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { shifts { id } } } }"""
CHANGES = """query($after: String) { changes(after: $after, first: 100) {
  edges { node { kind typename nodeId } } pageInfo { hasNextPage endCursor } currentCursor } }"""

CREATE = """mutation($input: CreateEventInput!) { createEvent(input: $input) {
  event { id shifts { id } } userErrors { code } } }"""
UPDATE = """mutation($id: ID!, $title: String!) {
  updateEvent(input: {eventId: $id, title: $title}) { userErrors { code } } }"""
PUBLISH = """mutation($id: ID!) { publishEvent(input: {eventId: $id}) { userErrors { code } } }"""
CANCEL = """mutation($id: ID!) {
  cancelEvent(input: {eventId: $id, reason: "天气原因"}) { userErrors { code } } }"""
ADD_SHIFT = """mutation($input: AddShiftInput!) { addShift(input: $input) {
  shift { id } userErrors { code } } }"""
REMOVE_SHIFT = (
    """mutation($id: ID!) { removeShift(input: {shiftId: $id}) { userErrors { code } } }"""
)
SIGN_UP = """mutation($shift: ID!, $key: String!) {
  signUp(input: {shiftId: $shift, idempotencyKey: $key}) { signup { id status } userErrors { code } } }"""
CANCEL_SIGNUP = (
    """mutation($id: ID!) { cancelSignup(input: {signupId: $id}) { userErrors { code } } }"""
)
UPDATE_TEAM = """mutation($id: ID!, $text: String!) {
  updateTeam(input: {teamId: $id, description: $text}) { userErrors { code } } }"""
RENAME_PLACE = """mutation($id: ID!, $name: String!) {
  renameCommunity(input: {communityId: $id, name: $name}) { userErrors { code } } }"""


def _canonical(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A node as both copies keep it: its id and its fields, relations by id."""
    plain = {
        key: (
            sorted(v["id"] for v in value)
            if isinstance(value, list)
            else value["id"]
            if isinstance(value, dict)
            else value
        )
        for key, value in node.items()
    }
    return str(node["id"]), plain


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, Any], **headers: str):
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def _pages(
    http: httpx.AsyncClient, query: str, name: str, headers: dict[str, str], **variables: Any
):
    after = None
    while True:
        page = (await _post(http, query, {**variables, "after": after}, **headers))[name]
        for node in page["nodes"]:
            yield node
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


@dataclass
class SyncClient:
    """A third party's copy, kept by following `changes`."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    statuses: list[str]
    cursor: str = ""
    copy: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: int = 0
    changes_seen: int = 0

    async def start(self) -> None:
        # The cursor first, then everything: what changes meanwhile is listed again.
        self.cursor = (await _post(self.http, CHANGES, {"after": None}, **self.headers))["changes"][
            "currentCursor"
        ]
        self.copy = await read_everything(self.http, self.headers, self.statuses)

    async def poll(self) -> None:
        """One minute's sync: page to the end of the feed, read again what it names."""
        again: dict[str, None] = {}
        while True:
            page = (await _post(self.http, CHANGES, {"after": self.cursor}, **self.headers))[
                "changes"
            ]
            for edge in page["edges"]:
                change = edge["node"]
                self.changes_seen += 1
                if change["kind"] == "DELETED":
                    self.copy.pop(change["nodeId"], None)
                    again.pop(change["nodeId"], None)
                else:
                    again[change["nodeId"]] = None
            if page["pageInfo"]["endCursor"]:
                self.cursor = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
        ids = list(again)
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            nodes = (await _post(self.http, NODES, {"ids": chunk}, **self.headers))["nodes"]
            for node_id, node in zip(chunk, nodes, strict=True):
                if node is None:  # gone, or no longer visible to this caller
                    self.copy.pop(node_id, None)
                else:
                    key, value = _canonical(node)
                    self.copy[key] = value
        self.polls += 1


async def read_everything(
    http: httpx.AsyncClient, headers: dict[str, str], statuses: list[str]
) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}

    def keep(node: dict[str, Any]) -> None:
        key, value = _canonical(node)
        seen[key] = value

    event_filter = {"statuses": statuses, "startsAfter": LONG_AGO}
    after = None
    while True:
        page = (await _post(http, EVENTS, {"after": after, "filter": event_filter}, **headers))[
            "events"
        ]
        for event in page["nodes"]:
            # `shifts { id }` (E) and `shifts { ...S }` merge into one selection.
            for shift in event["shifts"]:
                keep(shift)
            keep(event)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    async for team in _pages(http, TEAMS, "teams", headers):
        keep(team)
    async for place in _pages(http, PLACES, "communities", headers):
        keep(place)
    return seen


@dataclass
class World:
    backend: str
    url: str
    server: LinliServer
    admin: int
    leaders: list[int]  # one per team
    teams: list[int]
    places: list[int]
    volunteers: list[int]


@pytest.fixture(params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[World]:
    backend = request.param
    if backend == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database(backend, tmp_path, postgres_server)
    async with orm(url):
        admin = await factories.volunteer("管理员", admin=True)
        district = await factories.community("东园镇")
        places = [district.id, (await factories.community("尊湖小区", district)).id]
        leaders = [await factories.volunteer(f"队长{i}") for i in range(2)]
        teams = [
            await factories.team(f"志愿队{i}", leaders=(leader,), place=district)
            for i, leader in enumerate(leaders)
        ]
        for team in teams:
            await factories.event(team, title="开场", capacities=(3, 2))
            await factories.event(team, title="草稿", status=EventStatus.DRAFT)
        volunteers = await many_volunteers(VOLUNTEERS)
    server = LinliServer(url, WORKERS[backend], tmp_path / "server.log").start()
    try:
        yield World(
            backend,
            url,
            server,
            admin.id,
            [leader.id for leader in leaders],
            [team.id for team in teams],
            places,
            volunteers,
        )
    finally:
        server.stop()
    server.check_log()


def _times(days: int) -> tuple[str, str]:
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return starts.isoformat(), (starts + timedelta(hours=3)).isoformat()


async def _organize(world: World, http: httpx.AsyncClient, round_no: int, rng: random.Random):
    """One round of a team's organizing, for each team at once."""

    async def one_team(index: int) -> None:
        me = cookie_for(world.leaders[index])
        team = encode_id("Team", world.teams[index])
        starts, ends = _times(3 + round_no)
        made = []
        for publish in (True, False):
            data = await _post(
                http,
                CREATE,
                {
                    "input": {
                        "teamId": team,
                        "title": f"第{round_no}轮活动",
                        "kind": "CLEANUP",
                        "startsAt": starts,
                        "endsAt": ends,
                        "shifts": [
                            {"role": r, "startsAt": starts, "endsAt": ends, "capacity": 3}
                            for r in ("清扫", "收尾")
                        ],
                        "publish": publish,
                    }
                },
                **me,
            )
            assert data["createEvent"]["userErrors"] == []
            made.append(data["createEvent"]["event"])
        published, draft = made
        await _post(http, UPDATE, {"id": published["id"], "title": f"改名{round_no}"}, **me)
        added = await _post(
            http,
            ADD_SHIFT,
            {
                "input": {
                    "eventId": published["id"],
                    "role": "引导",
                    "startsAt": starts,
                    "endsAt": ends,
                    "capacity": 2,
                }
            },
            **me,
        )
        assert added["addShift"]["userErrors"] == []
        await _post(http, REMOVE_SHIFT, {"id": published["shifts"][1]["id"]}, **me)
        if round_no % 2:
            await _post(http, PUBLISH, {"id": draft["id"]}, **me)
        if round_no == 2:
            await _post(http, CANCEL, {"id": published["id"]}, **me)
        await _post(http, UPDATE_TEAM, {"id": team, "text": f"第{round_no}轮"}, **me)

    await asyncio.gather(*(one_team(i) for i in range(len(world.teams))))
    admin = cookie_for(world.admin)
    place = encode_id("Community", world.places[1])
    await _post(http, RENAME_PLACE, {"id": place, "name": f"尊湖小区{round_no}"}, **admin)


async def _sign_ups(world: World, http: httpx.AsyncClient, round_no: int, rng: random.Random):
    """Volunteers sign up for open shifts in one parallel burst; some cancel again."""
    shift_ids = [
        shift["id"]
        async for event in _pages(http, OPEN_SHIFTS, "events", {})
        for shift in event["shifts"]
    ]
    picks = [(v, rng.choice(shift_ids)) for v in world.volunteers]
    answers = await asyncio.gather(
        *(
            _post(
                http,
                SIGN_UP,
                {"shift": s, "key": f"r{round_no}-{v}-{s}"},
                **cookie_for(v),
            )
            for v, s in picks
        )
    )
    made = [
        (v, a["signUp"]["signup"]["id"])
        for (v, _), a in zip(picks, answers, strict=True)
        if a["signUp"]["signup"]
    ]
    leaving = rng.sample(made, min(5, len(made)))
    await asyncio.gather(
        *(_post(http, CANCEL_SIGNUP, {"id": sid}, **cookie_for(v)) for v, sid in leaving)
    )


async def _beside_the_api(world: World, round_no: int) -> None:
    """A job completes the oldest published event; an operator deletes the newest draft."""
    if round_no == 1:
        await write_elsewhere(
            world.url,
            "UPDATE event SET status = 'COMPLETED' WHERE id = "
            "(SELECT MIN(id) FROM event WHERE status = 'PUBLISHED')",
        )
    if round_no == 3:
        await write_elsewhere(
            world.url,
            "DELETE FROM event WHERE id = (SELECT MAX(id) FROM event WHERE status = 'DRAFT')",
        )


async def test_a_sync_client_stays_equal_to_a_full_read(world: World) -> None:
    rng = random.Random(13)
    async with http_client(world.server.base_url, 60) as http:
        clients = [
            SyncClient(http, {}, PUBLIC),
            SyncClient(http, cookie_for(world.leaders[0]), [*PUBLIC, "DRAFT"]),
        ]
        for client in clients:
            await client.start()
        writing = True

        async def follow(client: SyncClient) -> None:
            while writing:
                await client.poll()
                await asyncio.sleep(0.05)

        followers = [asyncio.create_task(follow(c)) for c in clients]
        try:
            for round_no in range(ROUNDS):
                await asyncio.gather(
                    _organize(world, http, round_no, rng),
                    _sign_ups(world, http, round_no, rng),
                    _beside_the_api(world, round_no),
                )
        finally:
            writing = False
            await asyncio.gather(*followers)

        for client in clients:
            await client.poll()  # the last minute
            expected = await read_everything(http, client.headers, client.statuses)
            print(f"\nsync {world.backend}: {client.polls} polls, {client.changes_seen} changes")
            assert client.polls >= 2 and client.changes_seen > 0  # (how many: the timing's)
            assert set(client.copy) == set(expected)
            for key, value in expected.items():
                assert client.copy[key] == value, key

        anonymous, organizer = (c.copy for c in clients)
        statuses = {v["status"] for v in anonymous.values() if v.get("__typename") == "Event"}
        assert statuses == {"PUBLISHED", "CANCELLED", "COMPLETED"}
        my_team, other_team = (encode_id("Team", t) for t in world.teams)
        drafts = [v for v in organizer.values() if v.get("status") == "DRAFT"]
        assert drafts and all(v["team"] == my_team for v in drafts)
        assert set(organizer) - set(anonymous)  # the organizer's own drafts, and only theirs
        assert not [v for v in anonymous.values() if v.get("status") == "DRAFT"]
        assert other_team in anonymous
