"""Knowing whether public data changed: a version number counted up by database triggers.

Triggers (not application code) count every change to what anonymous callers can read, so a
write through any path — the API, the CLI, the demo generator, a migration — invalidates cached
answers. They are (re)installed after every migration, because an SQLite table rebuild drops
the triggers of the table it rebuilds."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import connections

# `certificate`: `verifyCertificate` is public and must show a revocation at once.
WATCHED_TABLES = (
    "event",
    "shift",
    "team",
    "team_membership",
    "community",
    "event_series",
    "certificate",
    "appointment_slot",
)


async def catalog_version() -> int | None:
    """The current version, or None when it is unknown (then nothing may be cached).

    Only SQLite keeps one: there every write already holds the database's single write lock,
    so one more row costs nothing. On PostgreSQL a shared counter row would be locked by every
    writing transaction in the middle of it, after rows of other tables — transactions that
    touch several tables could then deadlock — so PostgreSQL answers are not cached."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite":
        return None
    _, rows = await connection.execute_query("SELECT n FROM catalog_version WHERE id = 1")
    return int(rows[0][0]) if rows else None


def _sqlite_statements() -> list[str]:
    statements = ["INSERT OR IGNORE INTO catalog_version (id, n) VALUES (1, 0)"]
    for table in WATCHED_TABLES:
        for action in ("INSERT", "UPDATE", "DELETE"):
            name = f"catalog_version_{table}_{action.lower()}"
            statements.append(
                f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {action} ON "{table}" '
                "BEGIN UPDATE catalog_version SET n = n + 1 WHERE id = 1; END"
            )
    return statements


def _postgres_cleanup() -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS "catalog_version_{table}" ON "{table}"' for table in WATCHED_TABLES
    ]


async def install_triggers(connection: BaseDBAsyncClient) -> None:
    """SQLite: (re)creates the counting triggers. PostgreSQL: removes any (see above)."""
    sqlite = connection.capabilities.dialect == "sqlite"
    for statement in _sqlite_statements() if sqlite else _postgres_cleanup():
        await connection.execute_script(statement)
