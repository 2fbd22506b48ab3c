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
        await _ready(bus, database)
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


async def test_a_check_in_elsewhere_wakes_the_watchers_of_its_shift(database: str) -> None:
    """Attendance changes only the sign-up (no seat count moves): a subscriber to the shift is
    woken all the same, on SQLite too — without the public catalog's version (the response
    cache) counting a change the public cannot see."""
    from api.infra.freshness import catalog_version
    from api.models import Signup, SignupStatus

    team = await factories.team("邻里互助队")
    event = await factories.event(team, capacities=(3,))
    shift = await event.shifts.all().first()
    assert shift is not None
    volunteer = await factories.volunteer("李阿姨")
    signup = await Signup.create(
        shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="k1"
    )
    bus = ChangeBus()
    watcher = bus.watch(lambda c: f"shift:{shift.id}" in c.keys)
    await bus.start(database)
    try:
        await _ready(bus, database)
        public_version = await catalog_version()
        await write_elsewhere(
            database,
            f"UPDATE signup SET status = 'ATTENDED', checked_in_at = CURRENT_TIMESTAMP "
            f"WHERE id = {signup.id}",
        )
        await asyncio.wait_for(watcher.wait(), WAIT)
        assert await catalog_version() == public_version  # None on PostgreSQL (no counter)
    finally:
        await bus.stop()


async def _ready(bus: ChangeBus, database: str) -> None:
    """Until the bus would see a write: listening (PostgreSQL), or the poll's first reading."""
    if not database.startswith("sqlite"):
        await asyncio.wait_for(_until(lambda: bus._connection is not None), WAIT)
    else:
        await asyncio.sleep(POLL_SECONDS * 2)


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
