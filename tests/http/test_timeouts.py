"""No request waits past its deadline: PostgreSQL cancels a slow statement
(`statement_timeout`), and a request that has not answered in time gets 503 + Retry-After."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.domain import notifications
from api.graphql.loaders import Loaders
from api.infra import db
from api.settings import get_settings
from tests import factories
from tests.http.test_unavailable import assert_graphql_unavailable, assert_page_unavailable

UNREAD = "{ viewer { unreadNotificationCount } }"


def _with(monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    changed = dataclasses.replace(get_settings(), **values)
    monkeypatch.setattr("api.infra.db.get_settings", lambda: changed)
    monkeypatch.setattr("api.app.get_settings", lambda: changed)


async def test_a_statement_past_statement_timeout_answers_503(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.startswith("sqlite"):
        pytest.skip("statement_timeout is PostgreSQL's")
    _with(monkeypatch, db_statement_timeout_seconds=0.2)
    await db.close_orm()
    EXECUTOR_CACHE.clear()
    await db.init_orm(database)  # connections opened with the short statement_timeout
    me = await factories.volunteer("小林")

    async def slow_count(volunteer_id: int) -> int:
        await connections.get("default").execute_query("SELECT pg_sleep(5)")
        return 0

    async def slow_loader(loaders: object, volunteer_id: int) -> int:
        return await slow_count(volunteer_id)

    monkeypatch.setattr(notifications, "unread_count", slow_count)
    monkeypatch.setattr(Loaders, "unread_count", slow_loader)  # GraphQL counts it in a batch
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        factories.log_in_as(http, me)
        assert_graphql_unavailable(await http.post("/graphql", json={"query": UNREAD}))
        assert_page_unavailable(await http.get("/me"))
        # the pool recovered: the next request is served
        monkeypatch.undo()
        data = (await http.post("/graphql", json={"query": "{ viewer { displayName } }"})).json()
        assert data["data"]["viewer"]["displayName"] == "小林"


async def test_a_request_past_its_deadline_answers_503(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with(monkeypatch, request_deadline_seconds=0.3)
    me = await factories.volunteer("小林")

    async def stuck(volunteer_id: int) -> int:
        await asyncio.sleep(30)  # a frozen database, a lock never granted…
        return 0

    async def stuck_loader(loaders: object, volunteer_id: int) -> int:
        return await stuck(volunteer_id)

    monkeypatch.setattr(notifications, "unread_count", stuck)
    monkeypatch.setattr(Loaders, "unread_count", stuck_loader)  # GraphQL counts it in a batch
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        factories.log_in_as(http, me)
        assert_graphql_unavailable(await http.post("/graphql", json={"query": UNREAD}))
        assert_page_unavailable(await http.get("/me"))
