"""Knowing whether public data changed: a version number counted up by database triggers.

Triggers (not application code) count every change to what anonymous callers can read, so a
write through any path — the API, the CLI, the demo generator, a migration — invalidates cached
answers. They are (re)installed after every migration, because an SQLite table rebuild drops
the triggers of the table it rebuilds."""

from __future__ import annotations

import asyncio

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
    touch several tables could then deadlock — so PostgreSQL answers are not cached.

    Callers asking at the same time share one read (each read is a hop to SQLite's thread):
    one that arrives while a read is under way waits for the next read, which starts after
    that one ends — a read already under way may have started before a commit it must see."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite":
        return None
    reads: _SharedReads | None = getattr(connection, "_linli_version_reads", None)
    if reads is None:
        reads = _SharedReads()
        connection._linli_version_reads = reads  # type: ignore[attr-defined]
    return await reads.read(connection)


_FAILED = object()


class _SharedReads:
    """One connection's reads of the version (see `catalog_version`)."""

    __slots__ = ("next", "running")

    def __init__(self) -> None:
        self.running: asyncio.Future[None] | None = None  # ends when the read under way does
        self.next: asyncio.Future[object] | None = None  # the next read's value, shared

    async def read(self, connection: BaseDBAsyncClient) -> int | None:
        running = self.running
        if running is None:
            return await self._lead(connection, None)
        shared = self.next
        if shared is not None:  # another caller leads the next read: its value is ours
            found = await asyncio.shield(shared)
            return await _select(connection) if found is _FAILED else found  # type: ignore[return-value]
        shared = self.next = asyncio.get_running_loop().create_future()
        try:
            await asyncio.shield(running)
        except BaseException:
            _settle(shared, _FAILED)
            raise
        return await self._lead(connection, shared)

    async def _lead(
        self, connection: BaseDBAsyncClient, shared: asyncio.Future[object] | None
    ) -> int | None:
        if self.next is shared:
            self.next = None  # those who asked so far get this read; later ones, the next
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.running = done
        found: object = _FAILED
        try:
            found = await _select(connection)
        finally:
            if self.running is done:
                self.running = None
            done.set_result(None)
            if shared is not None:
                _settle(shared, found)
        return found  # type: ignore[return-value]


def _settle(shared: asyncio.Future[object], value: object) -> None:
    if not shared.done():
        shared.set_result(value)


async def _select(connection: BaseDBAsyncClient) -> int | None:
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
