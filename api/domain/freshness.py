"""Knowing whether public data changed: a version number counted up by database triggers.

Triggers (not application code) count every change to what anonymous callers can read, so a
write through any path — the API, the CLI, the demo generator, a migration — invalidates cached
answers. They are (re)installed after every migration, because an SQLite table rebuild drops
the triggers of the table it rebuilds."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import connections

WATCHED_TABLES = ("event", "shift", "team", "team_membership", "community", "event_series")


async def catalog_version() -> int | None:
    """The current version, or None when it is unknown (then nothing may be cached)."""
    _, rows = await connections.get("default").execute_query(
        "SELECT n FROM catalog_version WHERE id = 1"
    )
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


def _postgres_statements() -> list[str]:
    statements = [
        "INSERT INTO catalog_version (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        "CREATE OR REPLACE FUNCTION linli_bump_catalog_version() RETURNS trigger AS $$ "
        "BEGIN UPDATE catalog_version SET n = n + 1 WHERE id = 1; RETURN NULL; END $$ "
        "LANGUAGE plpgsql",
    ]
    for table in WATCHED_TABLES:
        name = f"catalog_version_{table}"
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
            f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION linli_bump_catalog_version()",
        ]
    return statements


async def install_triggers(connection: BaseDBAsyncClient) -> None:
    sqlite = connection.capabilities.dialect == "sqlite"
    for statement in _sqlite_statements() if sqlite else _postgres_statements():
        await connection.execute_script(statement)
