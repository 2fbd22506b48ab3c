"""The change bus in one process: a write made by another connection reaches a watcher with the
keys it is about; on PostgreSQL the response cache's version is counted from notifications,
never known (None: nothing cached) while the LISTEN connection is down, and known again once
it is back."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.connection import connections

from api.infra.change_bus import POLL_SECONDS, Change, ChangeBus, install_triggers
from tests import factories
from tests.support.databases import write_elsewhere

WAIT = 15.0  # fails the test instead of hanging it; no speed is asserted


async def test_a_write_elsewhere_wakes_the_watchers_it_concerns(database: str) -> None:
    team = await factories.team("邻里互助队")
    event = await factories.event(team, capacities=(3, 3))
    first, second = await event.shifts.all().order_by("id")
    bus = ChangeBus()
    seen: list[Change] = []
    bus.listeners.append(seen.append)
    mine = bus.watch(lambda c: f"shift:{first.id}" in c.keys)
    await bus.start(database)
    try:
        if not database.startswith("sqlite"):
            await asyncio.wait_for(_until(lambda: bus._connection is not None), WAIT)
        else:
            await asyncio.sleep(POLL_SECONDS * 2)  # the poll has its first reading
        await write_elsewhere(database, f"UPDATE shift SET capacity = 4 WHERE id = {first.id}")
        await asyncio.wait_for(mine.wait(), WAIT)
        if not database.startswith("sqlite"):
            keys = {k for change in seen for k in change.keys}
            assert {f"shift:{first.id}", f"event:{event.id}"} <= keys
            seen.clear()
            await write_elsewhere(database, f"UPDATE shift SET capacity = 4 WHERE id = {second.id}")
            await asyncio.wait_for(_until(lambda: bool(seen)), WAIT)
            assert not mine.changed.is_set()  # another shift's change: not this watcher's
    finally:
        await bus.stop()


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]  # noqa: ASYNC110 - plain state, no event
        await asyncio.sleep(0.02)


async def test_the_cache_version_follows_the_listen_connection(database: str) -> None:
    if database.startswith("sqlite"):
        pytest.skip("PostgreSQL's LISTEN connection")
    await install_triggers(connections.get("default"))  # idempotent
    bus = ChangeBus()
    assert await bus.cache_version() is None  # not listening yet: nothing may be cached
    await bus.start(database)
    try:
        await asyncio.wait_for(_until(lambda: bus._connection is not None), WAIT)
        version = await bus.cache_version()
        assert version is not None
        team = await factories.team("巡逻队")
        await write_elsewhere(database, f"UPDATE team SET name = '巡逻二队' WHERE id = {team.id}")
        # no waiting: the version read after a committed write has counted it
        newer = await bus.cache_version()
        assert newer is not None and newer > version
        assert await bus.cache_version() == newer  # nothing changed: same version, a cache hit

        listening = bus._connection
        pid = listening.get_server_pid()
        await write_elsewhere(database, f"SELECT pg_terminate_backend({pid})")
        # lost, then listening again on a new connection
        await asyncio.wait_for(_until(lambda: bus._connection not in (None, listening)), WAIT)
        again = await bus.cache_version()
        assert again is not None and again > newer  # what happened meanwhile is never trusted
    finally:
        await bus.stop()
    assert await bus.cache_version() is None  # not listening: nothing may be cached
