"""Migrations keep every row: fill a database at 0001, apply the rest (0002 rebuilds the event
and shift tables on SQLite to add CHECK constraints; 0004 adds delivery columns to a filled
notification table; 0006 gives every volunteer a language; 0007 adds the account tables and
`volunteer.phone_verified_at`), count every table again."""

import os
import re
import uuid

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.infra import db
from api.models import (
    HoursEntry,
    HoursMethod,
    Notification,
    NotificationKind,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)
from tests import factories, pgcluster
from tests.conftest import BACKENDS, PG_DIR

SENT_BEFORE = "2026-11-20 08:00:00+00:00"
# Tables made after 0001 (catalog_version by 0003, the account tables by 0007): counted apart.
MADE_LATER = {"catalog_version", "phone_code", "phone_code_request", "sms_message", "user_session"}


async def _volunteer_at_0001(name: str) -> Volunteer:
    """A volunteer row as 0001 knows it (raw SQL: the model has columns added later)."""
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    conn = connections.get("default")
    await conn.execute_script(
        "INSERT INTO volunteer (phone, password_hash, display_name, is_admin, created_at)"
        f" VALUES ('{phone}', 'x', '{name}', false, '{SENT_BEFORE}')"
    )
    _, rows = await conn.execute_query(f"SELECT id FROM volunteer WHERE phone = '{phone}'")
    person = Volunteer(id=int(rows[0][0]), phone=phone, display_name=name, password_hash="x")
    person._saved_in_db = True
    return person


async def _fill() -> None:
    place = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", place)
    people = [await _volunteer_at_0001(f"v{i}") for i in range(12)]
    team = await factories.team(leaders=(people[0],), members=tuple(people[1:4]), place=place)
    for e in range(5):
        event = await factories.event(team, title=f"E{e}", capacities=(3, 4), place=compound)
        for shift in await Shift.filter(event_id=event.id):
            for person in people[: shift.capacity]:
                signup = await Signup.create(
                    shift=shift,
                    volunteer=person,
                    status=SignupStatus.CONFIRMED,
                    idempotency_key=f"{shift.id}-{person.id}",
                )
                await HoursEntry.create(
                    signup=signup, volunteer=person, centihours=150, method=HoursMethod.LEADER
                )
            await Shift.filter(id=shift.id).update(seats_taken=shift.capacity)
        # Raw SQL: the model has columns (outbound delivery) that 0001 does not have yet.
        await connections.get("default").execute_script(
            "INSERT INTO notification (volunteer_id, kind, message, event_id, source, created_at)"
            f" VALUES ({people[1].id}, '{NotificationKind.REMINDER}', '明天见', {event.id},"
            f" 'r{e}', '{SENT_BEFORE}')"
        )


async def _counts() -> dict[str, int]:
    conn = connections.get("default")
    counts = {}
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        if table in MADE_LATER:
            continue
        _, rows = await conn.execute_query(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(rows[0][0])
    return counts


def _empty_database(backend: str, tmp_path, postgres_server) -> str:
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'old.sqlite3'}"
    if postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    if os.environ.get("LINLI_TEST_POSTGRES_URL"):
        pytest.skip("needs a cluster of its own to create databases in")
    return pgcluster.create_database(PG_DIR, f"migr_{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_row_survives_the_table_rebuild(backend, tmp_path, postgres_server):
    url = _empty_database(backend, tmp_path, postgres_server)
    EXECUTOR_CACHE.clear()
    await db.migrate(url, target="models.0001_initial")
    await db.init_orm(url)
    try:
        await _fill()
        before = await _counts()
    finally:
        await db.close_orm()
    assert before["signup"] == 35 and before["hours_entry"] == 35 and before["shift"] == 10

    await db.migrate(url)  # 0002: rebuilds "event" and "shift" on SQLite

    await db.init_orm(url)
    try:
        assert await _counts() == before
        if backend == "sqlite":
            _, rows = await connections.get("default").execute_query(
                "SELECT sql FROM sqlite_master WHERE name = 'shift'"
            )
            assert "seats_taken <= capacity" in rows[0][0]
        # 0004: notifications made before outbound delivery was tracked are not sent again.
        made_before = await Notification.all()
        assert len(made_before) == 5
        assert all(n.delivered_at == n.created_at for n in made_before)
        assert str(made_before[0].created_at) == SENT_BEFORE
        # 0006: everyone who had an account reads Linli in zh-CN until they choose otherwise.
        assert {v.language for v in await Volunteer.all()} == {"zh-CN"}
        # 0007: existing accounts stay, not yet verified by SMS, with no session to end.
        assert {v.phone_verified_at for v in await Volunteer.all()} == {None}
        conn = connections.get("default")
        for table in MADE_LATER - {"catalog_version"}:
            _, rows = await conn.execute_query(f'SELECT COUNT(*) FROM "{table}"')
            assert int(rows[0][0]) == 0
    finally:
        await db.close_orm()


def _declared_indexes() -> set[tuple[str, tuple[str, ...]]]:
    declared = set()
    for model in Tortoise.apps["models"].values():
        for index in model._meta.indexes:
            columns = tuple(getattr(index, "fields", None) or index)
            declared.add((model._meta.db_table, columns))
    return declared


async def _actual_indexes(backend: str) -> set[tuple[str, tuple[str, ...]]]:
    conn = connections.get("default")
    if backend == "sqlite":
        sql = "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        sql = "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    _, rows = await conn.execute_query(sql)
    actual = set()
    for table, definition in (tuple(r) for r in rows):
        columns = re.search(r"\(([^()]*)\)\s*$", definition)
        if columns:
            names = tuple(c.strip().strip('"') for c in columns.group(1).split(","))
            actual.add((table, names))
    return actual


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_declared_index_exists_after_migrating(backend, tmp_path, postgres_server):
    """The lookups the pages rely on are indexed on both databases (a SQLite table rebuild
    once dropped the event list's index without a word)."""
    url = _empty_database(backend, tmp_path, postgres_server)
    EXECUTOR_CACHE.clear()
    await db.migrate(url)
    await db.init_orm(url)
    try:
        declared = _declared_indexes()
        assert ("event", ("status", "starts_at")) in declared
        assert ("shift", ("event_id", "starts_at")) in declared
        assert declared - await _actual_indexes(backend) == set()
    finally:
        await db.close_orm()


async def test_the_check_constraint_refuses_overbooking(database):
    from tortoise.exceptions import IntegrityError

    team = await factories.team()
    event = await factories.event(team, capacities=(2,))
    shift = await Shift.get(event_id=event.id)
    with pytest.raises(IntegrityError):
        await Shift.filter(id=shift.id).update(seats_taken=3)
    with pytest.raises(IntegrityError):
        await Shift.filter(id=shift.id).update(ends_at=shift.starts_at)
    await shift.refresh_from_db()
    assert shift.seats_taken == 0
