"""Infrastructure faults answer 503 with Retry-After: a "稍后再试" page for browsers, a
SERVICE_UNAVAILABLE error for GraphQL clients — never a 500 or a masked "Unexpected error."."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from api.http.ids import encode_id
from api.http.sessions import SESSION_COOKIE
from api.infra import db
from api.infra.faults import reason_of
from api.models import Volunteer
from tests import factories
from tests.serverproc import free_port
from tests.support.factories import session_token

SIGN_UP = """mutation($input: SignUpInput!) {
  signUp(input: $input) { signup { id status } userErrors { code } } }"""
MY_SHIFTS = "{ viewer { id displayName calendarUrl } }"


def assert_graphql_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert "Unexpected error" not in response.text


def assert_page_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"].startswith("text/html")
    assert "稍后再试" in response.text


@pytest.fixture
async def unreachable_client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its PostgreSQL server stopped (nothing listens on its port)."""
    from api.app import create_app

    if database.startswith("sqlite"):
        pytest.skip("SQLite is a file: its faults are a read-only or full disk (below)")
    await db.close_orm()
    EXECUTOR_CACHE.clear()
    url = f"postgres://linli@127.0.0.1:{free_port()}/gone"
    await db.init_orm(url)
    app = create_app(url)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_database_down_answers_503_to_graphql_and_pages(unreachable_client) -> None:
    http = unreachable_client
    # the actor is loaded before the body is read: a session cookie makes that hit the database
    http.cookies.set(SESSION_COOKIE, session_token(1))
    gid = encode_id("Shift", 1)
    response = await http.post(
        "/graphql",
        json={"query": SIGN_UP, "variables": {"input": {"shiftId": gid, "idempotencyKey": "k"}}},
    )
    assert_graphql_unavailable(response)
    assert_graphql_unavailable(await http.post("/graphql", json={"query": MY_SHIFTS}))
    http.cookies.clear()  # anonymous: the resolvers (not the actor) meet the fault
    assert_graphql_unavailable(
        await http.post("/graphql", json={"query": "{ events(first: 5) { nodes { id } } }"})
    )
    assert_graphql_unavailable(
        await http.get("/graphql", params={"query": "{ events(first: 5) { nodes { id } } }"})
    )
    assert_page_unavailable(await http.get("/"))
    http.cookies.set(SESSION_COOKIE, session_token(1))
    assert_page_unavailable(await http.get("/me"))
    assert_page_unavailable(await http.get("/events/1"))


async def test_read_only_sqlite_file_writes_503_reads_still_work(client, database: str) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("a read-only file is SQLite's fault; PostgreSQL's is covered above")
    me = await factories.volunteer("小林")
    team = await factories.team("邻里互助队")
    event = await factories.event(team, title="义诊")
    shift = (await event.shifts.all())[0]
    factories.log_in_as(client, me)
    # the file turns read-only under the running server (a remount, a full disk)
    await connections.get("default").execute_script("PRAGMA query_only = ON")

    # reads answer as before: "my shifts" writes nothing, not even its calendar URL
    data = (await client.post("/graphql", json={"query": MY_SHIFTS})).json()
    assert "errors" not in data and data["data"]["viewer"]["calendarUrl"].endswith(".ics")
    page = await client.get("/me")
    assert page.status_code == 200 and "小林" in page.text

    variables = {"input": {"shiftId": encode_id("Shift", shift.id), "idempotencyKey": "ro-1"}}
    response = await client.post(
        "/graphql",
        json={"query": SIGN_UP, "variables": variables},
        headers={"origin": "http://testserver"},
    )
    assert_graphql_unavailable(response)
    form = await client.post(
        "/me",
        content=f"shiftId={encode_id('Shift', shift.id)}&idempotencyKey=ro-2",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_page_unavailable(form)

    # the file is writable again: the same tap succeeds, without a restart
    await connections.get("default").execute_script("PRAGMA query_only = OFF")
    data = (await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})).json()
    assert data["data"]["signUp"]["signup"]["status"] == "CONFIRMED"


async def test_a_bug_is_still_a_bug(client, monkeypatch) -> None:
    """Only infrastructure faults become 503: a bug stays a masked error."""
    from api.domain import notifications
    from api.graphql.loaders import Loaders

    async def broken(volunteer_id: int) -> int:
        raise KeyError("a bug")

    async def broken_loader(loaders: object, volunteer_id: int) -> int:
        return await broken(volunteer_id)

    monkeypatch.setattr(notifications, "unread_count", broken)
    monkeypatch.setattr(Loaders, "unread_count", broken_loader)  # GraphQL's batched count
    me = await factories.volunteer("小林")
    factories.log_in_as(client, me)
    response = await client.post(
        "/graphql", json={"query": "{ viewer { unreadNotificationCount } }"}
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Unexpected error."


async def _a_real_deadlock() -> BaseException:
    """Two transactions locking two volunteers' rows in opposite orders: PostgreSQL aborts
    one of them (40P01). Answers the loser's exception, as Tortoise raises it."""
    first, second = await factories.volunteer("甲"), await factories.volunteer("乙")
    both_hold_one = asyncio.Barrier(2)

    async def lock(a: int, b: int) -> None:
        async with in_transaction():
            await Volunteer.filter(id=a).select_for_update().first()
            await both_hold_one.wait()
            await Volunteer.filter(id=b).select_for_update().first()

    outcomes = await asyncio.gather(
        lock(first.id, second.id), lock(second.id, first.id), return_exceptions=True
    )
    [loser] = [o for o in outcomes if isinstance(o, BaseException)]
    return loser


async def test_a_deadlock_answers_503_not_a_500(client, database: str, monkeypatch) -> None:
    """A transaction PostgreSQL rolled back to break a deadlock (or a serialization failure)
    is worth retrying at once: 503 with Retry-After and SERVICE_UNAVAILABLE, not "Unexpected
    error."; the sign-up's idempotency key makes the client's retry safe."""
    from api.domain import signups

    if database.startswith("sqlite"):
        pytest.skip("SQLite's writers take turns: no deadlock (its 'locked' is covered above)")
    deadlock = await _a_real_deadlock()
    assert getattr(deadlock, "sqlstate", None) == "40P01" or "deadlock" in str(deadlock)
    assert reason_of(deadlock) == "conflict"

    async def deadlocked(*args: object, **kwargs: object) -> None:
        raise deadlock

    monkeypatch.setattr(signups, "sign_up", deadlocked)
    me = await factories.volunteer("小林")
    event = await factories.event(await factories.team("邻里互助队"), title="义诊")
    shift = (await event.shifts.all())[0]
    factories.log_in_as(client, me)
    variables = {"input": {"shiftId": encode_id("Shift", shift.id), "idempotencyKey": "dl-1"}}
    response = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert_graphql_unavailable(response)
