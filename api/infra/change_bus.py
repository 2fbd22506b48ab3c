"""The change bus: every worker learns, within moments, that a row it may be showing changed,
whichever worker (or command) changed it.

* **PostgreSQL**: a trigger on each watched table calls `pg_notify('linli_changes', keys)` for
  every row written, `keys` being the row's own `table:id` followed by what it belongs to
  (`signup:9 shift:3 event:2`, `shift:3 event:2`, `event:2`, `team:4`…). Notifications leave
  when the transaction commits (never for a rolled-back one) and PostgreSQL folds identical
  ones of a transaction into one. Each worker holds ONE extra connection that `LISTEN`s
  (asyncpg, outside the ORM's pool) and hands each notification to the in-process
  subscribers; when that connection is lost it reconnects (0.5 s, then up to 10 s apart), and
  tells every subscriber that anything may have changed meanwhile.
* **SQLite** (one machine, one file): a light poll, every `POLL_SECONDS`, of the counters in
  `catalog_version`: row 1, the catalog version the triggers of `api.infra.freshness` count up,
  and row `SQLITE_BUS_ROW`, counted up by this module's triggers on the bus's tables the public
  catalog does not show (`signup`: a check-in or an attendance mark changes no shift, and must
  not invalidate the public response cache either). A change seen that way says nothing about
  which row: subscribers re-read and drop what did not change.

The bus also keeps, on PostgreSQL, the version of the public catalog for the response cache
(`cache_version`): an in-memory number counted up by the notifications of public tables,
None while the LISTEN connection is not up (then nothing is cached). Reading it first
round-trips the LISTEN connection, so every notification committed before the read has been
counted: an answer is never stored under a version newer than its data, and a write answered
to a client by another worker is never followed by a stale answer here.

Triggers are (re)installed after every migration (`install_triggers`, called by
`api.infra.db.migrate`), like the freshness ones: no schema migration of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import connections

from api.infra.freshness import WATCHED_TABLES, catalog_version

log = logging.getLogger("linli.change_bus")

CHANNEL = "linli_changes"
#: Tables whose rows announce their changes. `signup`: a sign-up changes what its shift
#: shows (seats, waitlist, the viewer's own sign-up).
BUS_TABLES = (*WATCHED_TABLES, "signup")
POLL_SECONDS = 0.5
#: SQLite: the `catalog_version` row that counts changes of `BUS_TABLES` outside
#: `WATCHED_TABLES` (row 1 is the public catalog's version, which they must not change).
SQLITE_BUS_ROW = 2
RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0
#: How often an idle LISTEN connection is checked (a dead peer sends no termination).
KEEPALIVE_SECONDS = 10.0
PING_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Change:
    """What changed: `table:id` keys (the row's own first, then its shift and event), or no
    keys at all when anything may have changed (a poll, a reconnection)."""

    keys: frozenset[str] = frozenset()
    table: str | None = None

    @property
    def anything(self) -> bool:
        return not self.keys

    @classmethod
    def parse(cls, payload: str) -> Change:
        keys = payload.split()
        table = keys[0].partition(":")[0] if keys else None
        return cls(frozenset(keys), table)


EVERYTHING = Change()


@dataclass(eq=False)
class Watcher:
    """One subscriber's mailbox: `changed` is set when a change it wants arrives."""

    wants: Callable[[Change], bool]
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, change: Change) -> None:
        if change.anything or self.wants(change):
            self.changed.set()

    async def wait(self) -> None:
        await self.changed.wait()
        self.changed.clear()


class ChangeBus:
    def __init__(self) -> None:
        # Weak: a subscription dropped without being closed leaves nothing behind.
        self.watchers: weakref.WeakSet[Watcher] = weakref.WeakSet()
        self.listeners: list[Callable[[Change], None]] = []
        self._version = 0
        self._connection: Any = None  # asyncpg.Connection while LISTENing
        self._sqlite = True
        self._task: asyncio.Task[None] | None = None
        self._ping: asyncio.Future[bool] | None = None
        self._next_ping: asyncio.Future[bool] | None = None
        self._ping_task: asyncio.Task[None] | None = None

    # --- subscribers ---------------------------------------------------------------------

    def watch(self, wants: Callable[[Change], bool]) -> Watcher:
        watcher = Watcher(wants)
        self.watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    def publish(self, change: Change) -> None:
        """Hands a change to every subscriber of this process (and counts the version)."""
        if change.anything or change.table in WATCHED_TABLES:
            self._version += 1
        for watcher in list(self.watchers):
            watcher.offer(change)
        for listener in list(self.listeners):
            listener(change)

    # --- the response cache's version ------------------------------------------------------

    async def cache_version(self) -> int | None:
        """The catalog version to store an answer under (read BEFORE executing), or None
        when it is unknown (nothing may be cached). SQLite: the database's counter.
        PostgreSQL: this worker's count of public notifications, once every notification
        committed before this call has arrived (a round trip on the LISTEN connection)."""
        if self._connection is None:  # SQLite; or PostgreSQL not listening: None
            return await catalog_version()
        if not await self._synced():
            return None
        return self._version if self._connection is not None else None

    async def _synced(self) -> bool:
        """A round trip on the LISTEN connection that STARTED after this call, shared by the
        callers waiting at the same time. PostgreSQL sends a listening session the
        notifications committed before a statement before that statement's answer, and
        asyncpg hands them to `publish` before the answer's waiter resumes."""
        loop = asyncio.get_running_loop()
        if self._ping is None:
            self._ping = loop.create_future()
            self._ping_task = asyncio.create_task(self._run_pings(self._ping))
            waiting = self._ping
        else:  # one is under way: it may have started before us, so wait for the next
            if self._next_ping is None:
                self._next_ping = loop.create_future()
            waiting = self._next_ping
        return await asyncio.shield(waiting)

    async def _run_pings(self, first: asyncio.Future[bool]) -> None:
        current: asyncio.Future[bool] | None = first
        while current is not None:
            ok = False
            connection = self._connection
            if connection is not None:
                try:
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), PING_TIMEOUT_SECONDS)
                    ok = True
                except Exception as exc:  # lost: the listen loop reconnects
                    log.warning("change bus: LISTEN connection not answering (%s)", exc)
                    self._lost(connection)
            if not current.done():
                current.set_result(ok)
            current, self._next_ping = self._next_ping, None
            self._ping = current

    # --- running -------------------------------------------------------------------------

    async def start(self, database_url: str) -> None:
        self._sqlite = database_url.startswith("sqlite")
        loop_body = self._poll_forever() if self._sqlite else self._listen_forever(database_url)
        self._task = asyncio.create_task(loop_body, name="linli-change-bus")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    async def _poll_forever(self) -> None:
        seen: int | None = None
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                version = await _sqlite_bus_version()
            except Exception as exc:  # the database is busy or away: try again later
                log.warning("change bus: poll failed (%s)", exc)
                continue
            if seen is not None and version != seen:
                self.publish(EVERYTHING)
            seen = version

    def _on_notification(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.publish(Change.parse(payload))

    def _lost(self, connection: Any) -> None:
        if self._connection is connection:
            self._connection = None

    async def _listen_forever(self, database_url: str) -> None:
        import asyncpg

        credentials = expand_db_url(database_url)["credentials"]
        delay = RECONNECT_FIRST_SECONDS
        while True:
            try:
                connection = await asyncpg.connect(
                    host=credentials.get("host"),
                    port=credentials.get("port"),
                    user=credentials.get("user"),
                    password=credentials.get("password"),
                    database=credentials.get("database"),
                    timeout=PING_TIMEOUT_SECONDS,
                    command_timeout=PING_TIMEOUT_SECONDS,
                )
            except Exception as exc:
                log.warning("change bus: cannot LISTEN (%s); again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            delay = RECONNECT_FIRST_SECONDS
            terminated = asyncio.Event()
            connection.add_termination_listener(_setter(terminated))
            try:
                await connection.add_listener(CHANNEL, self._on_notification)
                self._connection = connection
                # Whatever happened while nobody listened: everything may have changed.
                self.publish(EVERYTHING)
                while self._connection is connection and not terminated.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(terminated.wait(), KEEPALIVE_SECONDS)
                    if not terminated.is_set() and self._connection is connection:
                        await self._synced()  # a dead peer answers nothing: `_lost`
            except asyncio.CancelledError:
                self._lost(connection)
                connection.terminate()
                raise
            except Exception as exc:
                log.warning("change bus: LISTEN connection failed (%s)", exc)
            self._lost(connection)
            connection.terminate()
            log.warning("change bus: LISTEN connection lost; reconnecting")


async def _sqlite_bus_version() -> int:
    """SQLite: a number that changes whenever a row of `BUS_TABLES` changes (both counters of
    `catalog_version` only count up, so their sum does too)."""
    connection = connections.get("default")
    _, rows = await connection.execute_query("SELECT COALESCE(SUM(n), 0) FROM catalog_version")
    return int(rows[0][0])


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    return lambda _connection: event.set()


bus = ChangeBus()


@contextlib.asynccontextmanager
async def running(database_url: str) -> AsyncIterator[ChangeBus]:
    """Runs the bus for the lifetime of the block (the app's lifespan)."""
    await bus.start(database_url)
    try:
        yield bus
    finally:
        await bus.stop()


# --- triggers ------------------------------------------------------------------------------

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION linli_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
  keys text;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  keys := format('%s:%s', TG_TABLE_NAME, r.id);
  IF TG_TABLE_NAME = 'shift' THEN
    keys := keys || format(' event:%s', r.event_id);
  ELSIF TG_TABLE_NAME = 'signup' THEN
    keys := keys || format(
      ' shift:%s event:%s', r.shift_id, (SELECT s.event_id FROM shift s WHERE s.id = r.shift_id)
    );
  END IF;
  PERFORM pg_notify('{CHANNEL}', keys);
  RETURN NULL;
END $$
"""


def _postgres_statements() -> list[str]:
    statements = [_POSTGRES_FUNCTION]
    for table in BUS_TABLES:
        statements.append(
            f'DROP TRIGGER IF EXISTS "linli_change_bus" ON "{table}";\n'
            f'CREATE TRIGGER "linli_change_bus" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION linli_announce_change()"
        )
    return statements


def _sqlite_statements() -> list[str]:
    # An upsert: the row is there again even if something emptied the table meanwhile.
    count = (
        f"INSERT INTO catalog_version (id, n) VALUES ({SQLITE_BUS_ROW}, 1) "
        "ON CONFLICT (id) DO UPDATE SET n = n + 1"
    )
    statements = [f"INSERT OR IGNORE INTO catalog_version (id, n) VALUES ({SQLITE_BUS_ROW}, 0)"]
    for table in BUS_TABLES:
        if table in WATCHED_TABLES:
            continue  # counted by the catalog version already (`api.infra.freshness`)
        for action in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f'CREATE TRIGGER IF NOT EXISTS "change_bus_{table}_{action.lower()}" '
                f'AFTER {action} ON "{table}" BEGIN {count}; END'
            )
    return statements


async def install_triggers(connection: BaseDBAsyncClient) -> None:
    """(Re)creates the triggers: PostgreSQL's announcing ones; on SQLite the counting ones of
    the tables the catalog version does not count (the poll reads both counters)."""
    sqlite = connection.capabilities.dialect == "sqlite"
    for statement in _sqlite_statements() if sqlite else _postgres_statements():
        await connection.execute_script(statement)
