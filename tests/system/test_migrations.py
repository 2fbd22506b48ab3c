"""Migrations keep every row: fill a database at 0001, apply the rest (0002 rebuilds the event
and shift tables on SQLite to add CHECK constraints; 0004 adds delivery columns to a filled
notification table; 0006 gives every volunteer a language; 0007 records late cancellations;
0008, after 0011, 0009 and 0010, adds the account tables and `volunteer.phone_verified_at`;
0012 gives shifts, teams and places an `updated_at`), count every table again."""

import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.infra import db
from api.models import (
    Community,
    Notification,
    Shift,
    Signup,
    Team,
    Volunteer,
)
from tests import factories, pgcluster
from tests.conftest import BACKENDS, PG_DIR

SENT_BEFORE = "2026-11-20 08:00:00+00:00"
# Tables made after 0001 (catalog_version by 0003, the account tables by 0008): counted apart.
MADE_LATER = {
    "catalog_version",
    "phone_code",
    "phone_code_request",
    "sms_message",
    "user_session",
    "webhook",  # 0013
    "webhook_delivery",
    "webhook_attempt",
    "change_log",  # 0012: written by triggers installed after migrating, so empty here
    "change_log_horizon",
}
MADE_LATER.add("rate_limit_usage")  # by 0014


async def _row(table: str, **values: object) -> int:
    """Inserts one row with 0001's columns only (raw SQL: the models have columns later
    migrations add) and answers its id."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 1}" if postgres else "?" for i in range(len(values)))
    sql = f'INSERT INTO "{table}" ({", ".join(values)}) VALUES ({marks})'
    await conn.execute_query(sql, list(values.values()))
    _, rows = await conn.execute_query(f'SELECT MAX(id) FROM "{table}"')
    return int(rows[0][0])


async def _fill() -> None:
    """One district with a compound, 12 volunteers, a team, 5 events × 2 shifts (3 and 4
    seats) filled with confirmed sign-ups and their hours, and 5 reminders already sent."""
    at = datetime(2026, 11, 20, 8, tzinfo=UTC)
    place = await _row("community", name="东园镇", level="DISTRICT", created_at=at)
    compound = await _row(
        "community", name="尊湖小区", level="COMPOUND", parent_id=place, created_at=at
    )
    people = [
        await _row(
            "volunteer",
            phone=f"1390000{i:04d}",
            password_hash="x",
            display_name=f"v{i}",
            is_admin=False,
            created_at=at,
        )
        for i in range(12)
    ]
    team = await _row(
        "team", name="巾帼志愿者服务队", description="", community_id=place, created_at=at
    )
    for i, person in enumerate(people[:4]):
        role = "LEADER" if i == 0 else "MEMBER"
        await _row("team_membership", team_id=team, volunteer_id=person, role=role, joined_at=at)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    for e in range(5):
        event = await _row(
            "event",
            title=f"E{e}",
            kind="HAIRCUT",
            status="PUBLISHED",
            description="",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            community_id=compound,
            team_id=team,
            created_at=at,
            updated_at=at,
        )
        for s, capacity in enumerate((3, 4)):
            shift = await _row(
                "shift",
                event_id=event,
                role=f"岗位{s + 1}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=capacity,
                seats_taken=capacity,
                waitlist_count=0,
                waitlist_ticket=0,
            )
            for person in people[:capacity]:
                signup = await _row(
                    "signup",
                    shift_id=shift,
                    volunteer_id=person,
                    status="CONFIRMED",
                    idempotency_key=f"{shift}-{person}",
                    created_at=at,
                    updated_at=at,
                )
                await _row(
                    "hours_entry",
                    signup_id=signup,
                    volunteer_id=person,
                    centihours=150,
                    method="LEADER",
                    note="",
                    created_at=at,
                )
        await _row(
            "notification",
            volunteer_id=people[1],
            kind="REMINDER",
            message="明天见",
            event_id=event,
            source=f"r{e}",
            created_at=at,
        )


async def _counts() -> dict[str, int]:
    conn = connections.get("default")
    counts = {}
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        if table in MADE_LATER:
            continue
        if table in ("catalog_version", "certificate", "appointment_slot", "appointment"):
            continue  # made by later migrations (0003, 0009, 0010), after the rebuild
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
        # 0007: no earlier cancellation counts as late.
        assert not await Signup.filter(cancelled_late=True).exists()
        # 0008: existing accounts stay, not yet verified by SMS, with no session to end.
        assert {v.phone_verified_at for v in await Volunteer.all()} == {None}
        # 0012: rows made before have the best `updated_at` known.
        assert {str(s.updated_at) for s in await Shift.all()} == {SENT_BEFORE}
        assert {str(t.updated_at) for t in await Team.all()} == {SENT_BEFORE}
        assert {str(c.updated_at) for c in await Community.all()} == {SENT_BEFORE}
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
