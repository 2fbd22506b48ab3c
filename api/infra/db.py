"""Tortoise configuration and migrations (applied once, before workers start)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

from api.infra import change_bus, change_log, files
from api.infra.freshness import install_triggers
from api.settings import get_settings

log = logging.getLogger("linli.db")

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_ID = 7_324_511  # PostgreSQL advisory lock: one migrator at a time


class MigrationIntegrityError(RuntimeError):
    """A migration left rows pointing at rows that no longer exist."""


# Prepared statements kept per PostgreSQL connection (asyncpg's default is 100).
STATEMENT_CACHE_SIZE = 1024


def tortoise_config(url: str | None = None, *, foreign_keys: bool = True) -> dict[str, Any]:
    url = url or get_settings().database_url
    connection = expand_db_url(url)
    if url.startswith("sqlite"):
        path = connection["credentials"]["file_path"]
        if path != ":memory:":
            files.prepare_sqlite(Path(path))  # 0600 before SQLite makes it (and its WAL) 0644
        connection["engine"] = "api.infra.sqlite_engine"
        connection["credentials"].update(
            journal_mode="WAL",
            synchronous="NORMAL",
            busy_timeout=SQLITE_BUSY_TIMEOUT_MS,
            foreign_keys="ON" if foreign_keys else "OFF",
        )
    else:
        settings = get_settings()
        connection["engine"] = "api.infra.postgres_engine"
        credentials = connection["credentials"]
        credentials.setdefault("minsize", 1)
        credentials.setdefault("maxsize", 10)
        # Tortoise runs every SELECT with asyncpg's `fetch(sql, *args)`, which prepares the
        # statement once per connection and keeps it in the connection's LRU cache, so each
        # shape of SQL is parsed and planned once per connection, then only bound and executed
        # (tests/system/test_prepared_statements.py shows it in pg_prepared_statements). A
        # shape is the SQL text: `IN ($1, …, $n)` is one shape per n, and the loaders batch
        # 1…100 ids, so asyncpg's default of 100 statements would evict hot ones.
        credentials.setdefault("statement_cache_size", STATEMENT_CACHE_SIZE)
        # A frozen or unreachable server must not hold requests: the client gives up on a
        # command (and on opening a connection) after `command_timeout`, and the server
        # cancels a statement after `statement_timeout` (a little shorter, so it speaks first).
        credentials.setdefault("command_timeout", settings.db_command_timeout_seconds)
        credentials.setdefault("timeout", settings.db_command_timeout_seconds)
        server_settings = dict(credentials.get("server_settings") or {})
        server_settings.setdefault(
            "statement_timeout", str(int(settings.db_statement_timeout_seconds * 1000))
        )
        credentials["server_settings"] = server_settings
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": ["api.models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _check_foreign_keys() -> None:
    _, rows = await get_connection("default").execute_query("PRAGMA foreign_key_check")
    if rows:
        broken = ", ".join(f"{row[0]} row {row[1]} → {row[2]}" for row in rows[:10])
        raise MigrationIntegrityError(f"foreign keys broken after migration: {broken}")


async def _has_table(name: str) -> bool:
    connection = get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = $1"
    _, rows = await connection.execute_query(sql, [name])
    return bool(rows)


async def migrate(
    url: str | None = None,
    *,
    target: str | None = None,
    progress: Callable[[str, str, str], object] | None = None,
) -> None:
    """Apply pending migrations and close the connections again.

    SQLite: with foreign keys off (a table rebuild must not cascade), checked afterwards.
    PostgreSQL: under an advisory lock, so several machines starting at once migrate once.
    """
    url = url or get_settings().database_url
    sqlite = url.startswith("sqlite")
    config = tortoise_config(url, foreign_keys=not sqlite)
    lock_conn = None
    if not sqlite:
        import asyncpg

        creds = config["connections"]["default"]["credentials"]
        # a migration may rewrite a large table: no statement or command timeout for it
        creds["server_settings"]["statement_timeout"] = "0"
        creds["command_timeout"] = None
        lock_conn = await asyncpg.connect(
            host=creds.get("host"),
            port=creds.get("port"),
            user=creds.get("user"),
            password=creds.get("password"),
            database=creds.get("database"),
        )
        await lock_conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await tortoise_migrate(config=config, target=target, progress=progress)
        if sqlite:
            await _check_foreign_keys()
        if await _has_table("catalog_version"):
            await install_triggers(get_connection("default"))
            await change_bus.install_triggers(get_connection("default"))
        if await _has_table("change_log"):
            await change_log.install_triggers(get_connection("default"))
    finally:
        await Tortoise.close_connections()
        if lock_conn is not None:
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
            await lock_conn.close()


async def init_orm(url: str | None = None) -> None:
    await Tortoise.init(config=tortoise_config(url))


async def close_orm() -> None:
    await Tortoise.close_connections()
