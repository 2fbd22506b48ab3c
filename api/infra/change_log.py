"""The change log: database triggers record every create, update and delete of the public
objects (events, shifts, teams, communities) in `change_log`, and keep their `updated_at`.

Triggers, not application code, so that every write path — the API, the pages, the CLI, the
demo loader, the jobs, a migration, an operator's SQL — is recorded, and `updated_at` is honest
for queryset updates too (Tortoise's `auto_now` only applies on `.save()`; seat counters are
moved with `UPDATE … SET seats_taken = seats_taken + 1`). They are (re)installed after every
migration, because an SQLite table rebuild drops the triggers of the table it rebuilds.

**Order.** The feed lists entries by *position* `(xact_id, id)`, and a cursor is a position.

* SQLite: writers take turns (one write lock, held until commit), so ids are handed out in
  commit order; `xact_id` is always 0.
* PostgreSQL: ids come from a sequence in the order writers *ask*, but transactions commit in
  another order: a reader that has seen id 100 may later find id 99, committed after it. So each
  entry stores its transaction's id (`pg_current_xact_id()`), and a reader lists only entries
  of transactions older than its snapshot's `xmin` (`pg_snapshot_xmin(pg_current_snapshot())`):
  every such transaction has ended, so the set of entries below `xmin` never grows again — an
  entry that commits later has `xact_id ≥ xmin` and so a position after every position listed
  so far. Positions are therefore final once listed, and a cursor never skips an entry.
  The order is that of transaction ids (given at a transaction's first write), which may
  differ from the order of commits between transactions that overlapped; what holds is that
  nothing committed later is ever listed before a position already handed out. (Clients read
  the objects named again, so the order of two overlapping writes does not matter to them.)
  The price: the feed waits for the oldest transaction still running (a long `pg_dump` holds
  it back until it ends); Linli's own transactions are short.

**What is an entry.** One per write to a row, in the row's GraphQL type — and, for a shift,
one more for its event, whose fields (seats taken, capacity, its shifts) change with it;
except when the event itself is being deleted.

**Who sees an entry.** Each entry says whether anyone may see the object (`public`: not a
draft before or after the write) and, for events and shifts, its team (`team_id`): a draft's
entries are for the team's leaders and admins only. When a draft is published, the event and
each of its shifts get an entry with `became_public`, which reads as CREATED to everyone else.
The tombstone of an event is written *before* the row goes (so that its shifts, deleted by the
cascade, find out whether the event was public).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import connections
from tortoise.transactions import in_transaction

# The time of a write, as Tortoise stores datetimes in SQLite (text, microseconds, +00:00);
# `now` is the same for the whole statement, so a row's `updated_at` equals its entry's `at`.
SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000+00:00')"
PG_XACT = "pg_current_xact_id()::text::bigint"
PG_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
PG_XMAX = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
COLUMNS = "typename, object_id, kind, at, xact_id, public, team_id, became_public"


@dataclass(frozen=True, order=True)
class Position:
    """Where an entry is in the feed (and what a cursor points after)."""

    xact_id: int
    entry_id: int


@dataclass(frozen=True)
class Entry:
    position: Position
    typename: str
    object_id: int
    kind: str  # CREATED, UPDATED, DELETED
    at: datetime
    public: bool
    team_id: int | None
    became_public: bool


@dataclass(frozen=True)
class Watched:
    table: str
    typename: str

    def public(self, row: str, *, deleted: bool = False) -> str:
        """SQL: whether the object is public in the row version `row` (NEW or OLD). A shift
        deleted with its event (the cascade) asks the event's tombstone."""
        if self.table == "event":
            return f"({row}.status <> 'DRAFT')"
        if self.table == "shift":
            fallback = f"{_event_tombstone('public', row)}, " if deleted else ""
            return (
                f"COALESCE((SELECT e.status <> 'DRAFT' FROM event e WHERE e.id = {row}.event_id), "
                f"{fallback}TRUE)"
            )
        return "TRUE"

    def team(self, row: str, *, deleted: bool = False) -> str:
        """SQL: the team whose leaders see the object while it is a draft."""
        if self.table == "event":
            return f"{row}.team_id"
        if self.table == "shift":
            lookup = f"(SELECT e.team_id FROM event e WHERE e.id = {row}.event_id)"
            if deleted:
                return f"COALESCE({lookup}, {_event_tombstone('team_id', row)})"
            return lookup
        return "NULL"

    def public_after_update(self) -> str:
        """An update is public if the object was public before it or is after it."""
        if self.table == "event":
            return f"({self.public('OLD')} OR {self.public('NEW')})"
        return self.public("NEW")


def _event_tombstone(column: str, row: str) -> str:
    # A shift deleted with its event (the cascade): the event is gone, its tombstone says.
    return (
        f"(SELECT c.{column} FROM change_log c WHERE c.typename = 'Event' "
        f"AND c.object_id = {row}.event_id ORDER BY c.id DESC LIMIT 1)"
    )


WATCHED = (
    Watched("event", "Event"),
    Watched("shift", "Shift"),
    Watched("team", "Team"),
    Watched("community", "Community"),
)
TYPENAMES = tuple(w.typename for w in WATCHED)


def is_postgres(connection: BaseDBAsyncClient) -> bool:
    return connection.capabilities.dialect == "postgres"


# Installing ------------------------------------------------------------------------------------


def _sqlite_triggers(table: Watched, columns: Sequence[str]) -> list[str]:
    t, name = table.table, table.typename
    changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
    was_or_is = table.public_after_update()
    became = "(OLD.status = 'DRAFT' AND NEW.status <> 'DRAFT')" if t == "event" else "FALSE"
    at_update = (
        f"CASE WHEN NEW.updated_at IS OLD.updated_at THEN {SQLITE_NOW} ELSE NEW.updated_at END"
    )
    update_body = [
        f'UPDATE "{t}" SET updated_at = {SQLITE_NOW} '
        "WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;",
        f"INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', NEW.id, 'UPDATED', {at_update}, 0, "
        f"{was_or_is}, {table.team('NEW')}, {became});",
    ]
    at_insert = f"COALESCE(NEW.updated_at, {SQLITE_NOW})"
    insert_body = [
        f'UPDATE "{t}" SET updated_at = {SQLITE_NOW} WHERE id = NEW.id AND NEW.updated_at IS NULL;',
        f"INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', NEW.id, 'CREATED', {at_insert}, 0, "
        f"{table.public('NEW')}, {table.team('NEW')}, FALSE);",
    ]
    delete_body = [
        f"INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', OLD.id, 'DELETED', {SQLITE_NOW}, "
        f"0, {table.public('OLD', deleted=True)}, {table.team('OLD', deleted=True)}, FALSE);"
    ]
    if t == "event":
        update_body.append(_shifts_follow_their_event(at_update, "0"))
    if t == "shift":
        insert_body.append(_event_follows_its_shift("NEW", at_insert, "0"))
        update_body.append(_event_follows_its_shift("NEW", at_update, "0"))
        delete_body.append(_event_follows_its_shift("OLD", SQLITE_NOW, "0"))
    delete_when = "BEFORE" if t == "event" else "AFTER"
    return [
        f'CREATE TRIGGER "change_log_{t}_insert" AFTER INSERT ON "{t}" '
        f"BEGIN {' '.join(insert_body)} END",
        f'CREATE TRIGGER "change_log_{t}_update" AFTER UPDATE ON "{t}" WHEN {changed} '
        f"BEGIN {' '.join(update_body)} END",
        f'CREATE TRIGGER "change_log_{t}_delete" {delete_when} DELETE ON "{t}" '
        f"BEGIN {' '.join(delete_body)} END",
    ]


def _shifts_follow_their_event(at: str, xact: str) -> str:
    """When an event becomes public (or stops being), so do its shifts: an entry for each."""
    return (
        f"INSERT INTO change_log ({COLUMNS}) SELECT 'Shift', s.id, 'UPDATED', {at}, {xact}, "
        "TRUE, NEW.team_id, NEW.status <> 'DRAFT' FROM shift s WHERE s.event_id = NEW.id "
        "AND (OLD.status = 'DRAFT') <> (NEW.status = 'DRAFT');"
    )


def _event_follows_its_shift(row: str, at: str, xact: str) -> str:
    """A shift's event changes with it (its seats, capacity and shifts are the event's fields
    too): an entry for the event, unless it is gone (a shift deleted with its event)."""
    return (
        f"INSERT INTO change_log ({COLUMNS}) SELECT 'Event', e.id, 'UPDATED', {at}, {xact}, "
        f"e.status <> 'DRAFT', e.team_id, FALSE FROM event e WHERE e.id = {row}.event_id;"
    )


def _postgres_script(table: Watched) -> str:
    t, name = table.table, table.typename
    became = "(OLD.status = 'DRAFT' AND NEW.status <> 'DRAFT')" if t == "event" else "FALSE"
    follow = _shifts_follow_their_event("NEW.updated_at", PG_XACT) if t == "event" else ""
    event_new = event_old = ""
    if t == "shift":
        event_new = _event_follows_its_shift("NEW", "NEW.updated_at", PG_XACT)
        event_old = _event_follows_its_shift("OLD", "clock_timestamp()", PG_XACT)
    delete_when = "BEFORE" if t == "event" else "AFTER"
    return f"""
CREATE OR REPLACE FUNCTION linli_touch_{t}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.updated_at := COALESCE(NEW.updated_at, clock_timestamp());
  ELSIF NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := clock_timestamp();
  END IF;
  RETURN NEW;
END $fn$;
CREATE OR REPLACE FUNCTION linli_change_log_{t}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', NEW.id, 'CREATED', NEW.updated_at,
      {PG_XACT}, {table.public("NEW")}, {table.team("NEW")}, FALSE);
    {event_new}
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NULL;
    END IF;
    INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', NEW.id, 'UPDATED', NEW.updated_at,
      {PG_XACT}, {table.public_after_update()}, {table.team("NEW")}, {became});
    {follow}
    {event_new}
  ELSE
    INSERT INTO change_log ({COLUMNS}) VALUES ('{name}', OLD.id, 'DELETED', clock_timestamp(),
      {PG_XACT}, {table.public("OLD", deleted=True)}, {table.team("OLD", deleted=True)}, FALSE);
    {event_old}
    RETURN OLD;
  END IF;
  RETURN NULL;
END $fn$;
DROP TRIGGER IF EXISTS "change_log_{t}_touch" ON "{t}";
CREATE TRIGGER "change_log_{t}_touch" BEFORE INSERT OR UPDATE ON "{t}"
  FOR EACH ROW EXECUTE FUNCTION linli_touch_{t}();
DROP TRIGGER IF EXISTS "change_log_{t}" ON "{t}";
CREATE TRIGGER "change_log_{t}" AFTER INSERT OR UPDATE ON "{t}"
  FOR EACH ROW EXECUTE FUNCTION linli_change_log_{t}();
DROP TRIGGER IF EXISTS "change_log_{t}_delete" ON "{t}";
CREATE TRIGGER "change_log_{t}_delete" {delete_when} DELETE ON "{t}"
  FOR EACH ROW EXECUTE FUNCTION linli_change_log_{t}();
"""


async def _sqlite_columns(connection: BaseDBAsyncClient, table: str) -> list[str]:
    _, rows = await connection.execute_query(f'PRAGMA table_info("{table}")')
    return [str(row[1]) for row in rows]


async def install_triggers(connection: BaseDBAsyncClient) -> None:
    """(Re)creates the triggers, all at once (a writer never sees some of them missing).

    PostgreSQL: entries of a transaction id from the future (a dump restored into another
    cluster) are moved to the start, so that they are listed; cursors from before the restore
    then answer CURSOR_EXPIRED (`cursor_from_the_future`)."""
    if is_postgres(connection):
        script = "".join(_postgres_script(table) for table in WATCHED)
        script += f"UPDATE change_log SET xact_id = 0 WHERE xact_id >= {PG_XMAX};"
        script += f"UPDATE change_log_horizon SET xact_id = 0 WHERE xact_id >= {PG_XMAX};"
        await connection.execute_script(f"BEGIN;{script}COMMIT;")
        return
    statements = ["BEGIN IMMEDIATE"]
    for table in WATCHED:
        for action in ("insert", "update", "delete"):
            statements.append(f'DROP TRIGGER IF EXISTS "change_log_{table.table}_{action}"')
        columns = await _sqlite_columns(connection, table.table)
        statements += _sqlite_triggers(table, columns)
    statements.append("COMMIT")
    await connection.execute_script(";\n".join(statements) + ";")


# Reading ---------------------------------------------------------------------------------------


def _marks(connection: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    if is_postgres(connection):
        return [f"${i}" for i in range(start, start + count)]
    return ["?"] * count


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _entry(row: Any) -> Entry:
    return Entry(
        position=Position(int(row[1]), int(row[0])),
        typename=str(row[2]),
        object_id=int(row[3]),
        kind=str(row[4]),
        at=_datetime(row[5]),
        public=bool(row[6]),
        team_id=None if row[7] is None else int(row[7]),
        became_public=bool(row[8]),
    )


SELECT = "SELECT id, xact_id, typename, object_id, kind, at, public, team_id, became_public"


def _where(
    connection: BaseDBAsyncClient,
    after: Position,
    typenames: Sequence[str] | None,
    team_ids: Sequence[int] | None,
) -> tuple[str, list[Any]]:
    marks = _marks(connection, 2)
    where = [f"(xact_id, id) > ({marks[0]}, {marks[1]})"]
    params: list[Any] = [after.xact_id, after.entry_id]
    if is_postgres(connection):
        where.append(f"xact_id < {PG_XMIN}")
    if typenames is not None:
        where.append(_in("typename", typenames, connection, len(params) + 1))
        params += list(typenames)
    if team_ids is not None:
        if team_ids:
            where.append(f"(public OR {_in('team_id', team_ids, connection, len(params) + 1)})")
            params += list(team_ids)
        else:
            where.append("public")
    return " AND ".join(where), params


async def read(
    after: Position,
    limit: int,
    *,
    typenames: Sequence[str] | None,
    team_ids: Sequence[int] | None,
) -> list[Entry]:
    """Up to `limit` entries after `after`, in feed order, final ones only (see the module's
    docstring). `typenames`: only these types (None: all). `team_ids`: besides public
    entries, those of these teams' drafts (None: every entry, for admins)."""
    connection = connections.get("default")
    where, params = _where(connection, after, typenames, team_ids)
    sql = f"{SELECT} FROM change_log WHERE {where} ORDER BY xact_id, id LIMIT {int(limit)}"
    _, rows = await connection.execute_query(sql, params)
    return [_entry(row) for row in rows]


async def count(
    after: Position, *, typenames: Sequence[str] | None, team_ids: Sequence[int] | None
) -> int:
    """How many final entries `read` could list after `after`."""
    connection = connections.get("default")
    where, params = _where(connection, after, typenames, team_ids)
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) FROM change_log WHERE {where}", params
    )
    return int(rows[0][0])


def _in(column: str, values: Sequence[Any], connection: BaseDBAsyncClient, start: int) -> str:
    if not values:
        return "FALSE"
    return f"{column} IN ({', '.join(_marks(connection, len(values), start))})"


async def entry(entry_id: int) -> Entry | None:
    """One entry by id, once final (None if unknown, pruned or not final yet)."""
    connection = connections.get("default")
    final = f" AND xact_id < {PG_XMIN}" if is_postgres(connection) else ""
    (mark,) = _marks(connection, 1)
    _, rows = await connection.execute_query(
        f"{SELECT} FROM change_log WHERE id = {mark}{final}", [entry_id]
    )
    return _entry(rows[0]) if rows else None


async def end() -> Position:
    """The position at the end of the feed now: every entry listed later comes after it."""
    connection = connections.get("default")
    if is_postgres(connection):
        _, rows = await connection.execute_query(f"SELECT {PG_XMIN}")
        return Position(int(rows[0][0]), 0)
    _, rows = await connection.execute_query(
        "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'"
    )
    return Position(0, int(rows[0][0]) if rows else 0)


async def horizon() -> Position:
    """The last position pruned: a cursor before it may have missed entries."""
    _, rows = await connections.get("default").execute_query(
        "SELECT xact_id, entry_id FROM change_log_horizon WHERE id = 1"
    )
    return Position(int(rows[0][0]), int(rows[0][1])) if rows else Position(0, 0)


async def from_the_future(position: Position) -> bool:
    """Whether no entry can have been at `position` yet: the cursor comes from another
    database (a restored backup, another server)."""
    connection = connections.get("default")
    if is_postgres(connection):
        _, rows = await connection.execute_query(f"SELECT {PG_XMAX}")
        # An entry's transaction is older than xmax; a current cursor is at most xmax.
        return position.xact_id > int(rows[0][0])
    return position.xact_id != 0 or position.entry_id > (await end()).entry_id


# Pruning ---------------------------------------------------------------------------------------

PRUNE_BATCH = 5000


async def prune(before: datetime, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Deletes up to `batch` of the oldest entries, as long as each is older than `before`,
    and moves the horizon past them (never back: several workers may prune at once). Answers
    how many were deleted."""
    connection = connections.get("default")
    postgres = is_postgres(connection)
    final = f"WHERE xact_id < {PG_XMIN} " if postgres else ""
    oldest = f"SELECT id, xact_id, at FROM change_log {final}ORDER BY xact_id, id LIMIT"
    _, rows = await connection.execute_query(f"{oldest} 1")
    if not rows or _datetime(rows[0][2]) >= before:
        return 0  # the usual answer: one row read
    _, rows = await connection.execute_query(f"{oldest} {int(batch)}")
    last: Position | None = None
    count = 0
    for row in rows:
        if _datetime(row[2]) >= before:
            break
        last = Position(int(row[1]), int(row[0]))
        count += 1
    if last is None:
        return 0
    a, b = _marks(connection, 2)
    c, d, e = _marks(connection, 3)
    async with in_transaction() as tx:
        await tx.execute_query(
            f"DELETE FROM change_log WHERE (xact_id, id) <= ({a}, {b})",
            [last.xact_id, last.entry_id],
        )
        await tx.execute_query(
            "INSERT INTO change_log_horizon (id, xact_id, entry_id, pruned_at) "
            f"VALUES (1, {c}, {d}, {e}) ON CONFLICT (id) DO UPDATE SET "
            "xact_id = excluded.xact_id, entry_id = excluded.entry_id, "
            "pruned_at = excluded.pruned_at "
            "WHERE (change_log_horizon.xact_id, change_log_horizon.entry_id) "
            "< (excluded.xact_id, excluded.entry_id)",
            [last.xact_id, last.entry_id, now if postgres else now.isoformat(" ")],
        )
    return count
