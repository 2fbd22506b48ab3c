"""/healthz says the process answers; /readyz says whether this worker can serve, and why not."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.infra import db, health
from api.settings import get_settings
from tests.serverproc import free_port


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch):
    """Change the operations settings for one test."""
    monkeypatch.setattr(health, "_migrations_applied", False)

    def change(**values: object) -> None:
        changed = dataclasses.replace(get_settings(), **values)
        monkeypatch.setattr("api.infra.health.get_settings", lambda: changed)
        monkeypatch.setattr("api.web.health.get_settings", lambda: changed)

    return change


async def not_ready(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.get("/readyz")
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["status"] == "unavailable"
    return response.json()["checks"]


async def test_ready_when_everything_answers(client, settings) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"read": "ok", "write": "ok", "disk": "ok", "migrations": "ok"},
    }
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_database_stopped(database: str, settings) -> None:
    from api.app import create_app

    if database.startswith("sqlite"):
        pytest.skip("SQLite cannot be stopped; see the read-only and locked tests")
    await db.close_orm()
    EXECUTOR_CACHE.clear()
    url = f"postgres://linli@127.0.0.1:{free_port()}/gone"
    await db.init_orm(url)
    transport = httpx.ASGITransport(app=create_app(url))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        checks = await not_ready(http)
        assert checks["read"] == "down" and checks["write"] == "down"
        assert checks["disk"] == "ok"
        # liveness does not depend on the database: the worker is not restarted for it
        live = await http.get("/healthz")
        assert live.status_code == 200 and live.json() == {"status": "ok"}


async def test_read_only_database(client, database: str, settings) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("a read-only file is SQLite's fault (a standby's is PostgreSQL's: 25006)")
    await connections.get("default").execute_script("PRAGMA query_only = ON")
    checks = await not_ready(client)
    assert checks["write"] == "read_only" and checks["read"] == "ok"


async def test_write_lock_held_past_the_deadline(client, database: str, settings) -> None:
    settings(ready_timeout_seconds=0.5)
    if database.startswith("sqlite"):
        other = sqlite3.connect(database.removeprefix("sqlite://"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            checks = await not_ready(client)
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        import asyncpg

        other = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT n FROM catalog_version WHERE id = 1 FOR UPDATE")
        try:
            checks = await not_ready(client)
        finally:
            await transaction.rollback()
            await other.close()
    # SQLite: the worker's one connection waits for the lock, so reads wait too
    assert checks["write"] == "timeout" and checks["disk"] == "ok"
    await asyncio.sleep(0)
    again = await client.get("/readyz")
    assert again.status_code == 200, again.text  # ready again, no restart


async def test_disk_below_the_threshold(client, settings) -> None:
    settings(min_free_disk_bytes=2**62)
    checks = await not_ready(client)
    assert checks["disk"].startswith("low: ") and checks["write"] == "ok"


async def test_migrations_not_applied(client, settings) -> None:
    conn = connections.get("default")
    where = "WHERE name = '0006_volunteer_language'"
    _, rows = await conn.execute_query(
        f"SELECT app, name, applied_at FROM tortoise_migrations {where}"
    )
    await conn.execute_script(f"DELETE FROM tortoise_migrations {where}")
    try:
        checks = await not_ready(client)
        assert checks["migrations"] == "pending: 0006_volunteer_language"
    finally:  # PostgreSQL's test database is shared by the whole session
        placeholders = "?, ?, ?" if conn.capabilities.dialect == "sqlite" else "$1, $2, $3"
        await conn.execute_query(
            f"INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ({placeholders})",
            list(rows[0]),
        )
