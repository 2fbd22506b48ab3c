"""Hourly point counters shared by every worker and machine, without a database write per request.

Each worker counts in memory and adds its count to the database (`rate_limit_usage`, one row
per caller and clock hour) in batches; every such addition returns the shared total, which is
the only time the worker reads it (plus once when it first meets a caller in an hour).

Per caller and hour a worker keeps `known` (the shared total it last read), `in_flight` (a
batch being added) and `pending` (points it allowed since). A request of `p` points is allowed
when `known + in_flight + pending + p <= limit`, and then only into `pending` while `pending`
stays within the worker's *share* (`limit // SHARE_DIVISOR`, at least 1) and no batch is in
flight. When the share is used (or a batch is being added), the request first adds `pending`
to the database (or waits for the batch's answer) (and so learns the others' points);
a request worth more than a share is added on its own, with a conditional statement that
never takes the shared total over the limit. Whatever is pending is added every
`FLUSH_SECONDS` as well.

**Bound.** With `W` workers, the points allowed in one hour never exceed
`limit + (W - 1) * share`. Take the worker `w` whose last database operation's predecessor
`P` came last. After `P`, each other worker made at most one operation (its last), of at most
one share, or a conditional one that keeps the total within the limit; `w`'s own last batch
was allowed against `total(P) + batch <= limit`. So the final total is at most `limit` plus
the batches of the other `W - 1` workers. With the default share (1/50 of the budget), two
workers can overshoot by 2 %, four by 6 %. Points a worker counted but had not added when it
was killed are lost (at most a share and a second's worth per caller): a restart never
counts a point twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.connection import connections

from api.infra import clock
from api.models import RateLimitUsage

log = logging.getLogger("linli.rate_limits")

HOUR_SECONDS = 3600
FLUSH_SECONDS = 1.0
SHARE_DIVISOR = 50

_ADD = (
    'INSERT INTO rate_limit_usage ("caller", "hour", "points") VALUES (?, ?, ?) '
    'ON CONFLICT ("caller", "hour") DO UPDATE SET "points" = rate_limit_usage."points" + '
    'excluded."points"'
)
_ADD_WITHIN = _ADD + ' WHERE rate_limit_usage."points" + excluded."points" <= ?'
_READ = 'SELECT "points" FROM rate_limit_usage WHERE "caller" = ? AND "hour" = ?'


def hour_of(moment: datetime) -> int:
    """The clock hour of `moment`, counted since 1970-01-01 00:00 UTC."""
    return int(moment.timestamp() // HOUR_SECONDS)


def hour_end(hour: int) -> datetime:
    return datetime.fromtimestamp((hour + 1) * HOUR_SECONDS, UTC)


def local_share(limit: int) -> int:
    """The points a worker may allow before it adds them to the shared total."""
    return max(1, limit // SHARE_DIVISOR)


@dataclass(frozen=True)
class Usage:
    """A caller's points in the current hour, as this worker knows them."""

    limit: int
    used: int
    hour: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def resets_at(self) -> datetime:
        return hour_end(self.hour)


class _Counter:
    __slots__ = ("caller", "hour", "in_flight", "known", "lock", "pending")

    def __init__(self, caller: str, hour: int) -> None:
        self.caller = caller
        self.hour = hour
        self.known: int | None = None  # the shared total last read (None: not read yet)
        self.in_flight = 0
        self.pending = 0
        self.lock = asyncio.Lock()

    @property
    def used(self) -> int:
        return (self.known or 0) + self.in_flight + self.pending

    def usage(self, limit: int) -> Usage:
        return Usage(limit=limit, used=self.used, hour=self.hour)


class SharedCounters:
    """One per worker (the application makes it); see the module's docstring."""

    def __init__(self, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.flush_seconds = flush_seconds
        self._counters: dict[tuple[str, int], _Counter] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def usage(self, caller: str, limit: int) -> Usage:
        """The caller's figures now, without charging anything."""
        counter = self._counters.get((caller, hour_of(clock.now())))
        if counter is None or counter.known is None:
            counter = await self._loaded(caller)
        return counter.usage(limit)

    def charge_now(self, caller: str, limit: int, points: int) -> tuple[bool, Usage] | None:
        """`charge` when it needs no database (the caller is known this hour and the points
        fit in this worker's share, or are over the budget); None when it does."""
        counter = self._counters.get((caller, hour_of(clock.now())))
        if counter is None or counter.known is None:
            return None
        if counter.used + points > limit:
            return False, counter.usage(limit)
        if not _fits_in_share(counter, points, local_share(limit)):
            return None
        counter.pending += points
        self._start_flusher()
        return True, counter.usage(limit)

    async def charge(self, caller: str, limit: int, points: int) -> tuple[bool, Usage]:
        """Charges `points` if the caller's budget allows them: (allowed, figures after)."""
        done = self.charge_now(caller, limit, points)
        if done is not None:
            return done
        counter = await self._loaded(caller)
        share = local_share(limit)
        while True:
            if counter.used + points > limit:
                return False, counter.usage(limit)
            if points > share:
                return await self._charge_alone(counter, limit, points)
            if _fits_in_share(counter, points, share):
                counter.pending += points
                self._start_flusher()
                return True, counter.usage(limit)
            async with counter.lock:  # the share is used (or being added): add it first
                if counter.pending + points > share:
                    await _flush(counter)

    async def flush(self) -> bool:
        """Adds every pending count to the database; True while anything is still pending."""
        current = hour_of(clock.now())
        for key, counter in list(self._counters.items()):
            if counter.pending:
                try:
                    async with counter.lock:
                        await _flush(counter)
                except Exception:  # the database is away: kept, tried again next time
                    log.warning("adding rate-limit points failed", exc_info=True)
            if counter.hour < current and not counter.pending and not counter.lock.locked():
                self._counters.pop(key, None)
        return any(c.pending for c in self._counters.values())

    async def close(self) -> None:
        """Stops the background flushing and adds what is pending (on shutdown)."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()

    # --- inside ------------------------------------------------------------------------------

    async def _loaded(self, caller: str) -> _Counter:
        hour = hour_of(clock.now())
        counter = self._counters.get((caller, hour))
        if counter is None:
            counter = self._counters[(caller, hour)] = _Counter(caller, hour)
        if counter.known is None:
            async with counter.lock:
                if counter.known is None:
                    counter.known = await _read(caller, hour)
        return counter

    async def _charge_alone(self, counter: _Counter, limit: int, points: int) -> tuple[bool, Usage]:
        """A request worth more than a share: added on its own, never past the limit."""
        async with counter.lock:
            if counter.pending:
                await _flush(counter)
            if counter.used + points > limit:
                return False, counter.usage(limit)
            counter.in_flight = points
            try:
                total = await _add(counter.caller, counter.hour, points, within=limit)
                if total is None:  # the others' points took the total too close
                    counter.known = await _read(counter.caller, counter.hour)
            finally:
                counter.in_flight = 0
            if total is None:
                return False, counter.usage(limit)
            counter.known = total
            return True, counter.usage(limit)

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_every_period())

    async def _flush_every_period(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            if not await self.flush():
                return


def _fits_in_share(counter: _Counter, points: int, share: int) -> bool:
    """Whether `points` may be allowed into `pending` without asking the database: they fit
    in the share, and no batch is being added (points allowed while one is would be checked
    against a total the batch's answer is about to change: a worker would then hold two
    shares the others cannot see, and the bound below would not hold)."""
    return not counter.in_flight and counter.pending + points <= share


async def _flush(counter: _Counter) -> None:
    """Adds the pending points (the caller holds the counter's lock)."""
    amount = counter.pending
    if not amount:
        return
    counter.pending = 0
    counter.in_flight = amount
    try:
        total = await _add(counter.caller, counter.hour, amount)
    except BaseException:
        counter.pending += amount
        raise
    finally:
        counter.in_flight = 0
    counter.known = total if total is not None else counter.known


def _statement(sql: str, values: Sequence[object]) -> tuple[str, list[object]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
    return sql, list(values)


async def _add(caller: str, hour: int, points: int, *, within: int | None = None) -> int | None:
    """Adds `points` and returns the new shared total; with `within`, only if the total stays
    within it (None otherwise)."""
    if within is None:
        sql, values = _statement(_ADD + ' RETURNING "points"', (caller, hour, points))
    else:
        sql, values = _statement(
            _ADD_WITHIN + ' RETURNING "points"', (caller, hour, points, within)
        )
    # (execute_query_dict: asyncpg's execute_query drops what an INSERT returns)
    rows = await connections.get("default").execute_query_dict(sql, values)
    return int(rows[0]["points"]) if rows else None


async def _read(caller: str, hour: int) -> int:
    sql, values = _statement(_READ, (caller, hour))
    rows = await connections.get("default").execute_query_dict(sql, values)
    return int(rows[0]["points"]) if rows else 0


async def purge_expired() -> int:
    """Deletes the rows of hours before the previous one; the number deleted."""
    return await RateLimitUsage.filter(hour__lt=hour_of(clock.now()) - 1).delete()
