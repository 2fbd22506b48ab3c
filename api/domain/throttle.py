"""Counting failed attempts per key (a phone at an address, an address…) in a sliding window,
in a way that holds when many attempts arrive at once.

Kept in the database so that every worker process sees the same counts. An attempt is decided
in two steps, each its own committed statement (never inside a transaction):

1. **record first**: one `ThrottleFailure` row per key, inserted and committed;
2. **then count** every key's rows in its window (one statement, so one snapshot). The attempt
   goes ahead only when no key has more rows than its limit; otherwise its rows are deleted
   again and it is refused with the first exceeded limit's error.

An attempt that goes ahead and fails keeps its rows (they are the failures); one that succeeds
deletes them. Why at most `limit` attempts per key and window go ahead and fail, on SQLite and
on PostgreSQL at READ COMMITTED alike: order those attempts by the moment their row was
committed. The (limit + 1)-th committed its row after the first `limit` had committed theirs,
and those rows stay (they failed), so its count, a later statement, sees at least limit + 1 rows:
it is refused. Rows of attempts that will be refused may be counted while they exist, so a
burst can be refused a little more than strictly needed, never less.

Refused attempts leave nothing behind: hammering a closed door does not keep it closed longer,
and the window ends `window` after the last failure that was actually checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.expressions import Q
from tortoise.functions import Count

from api.domain.errors import DomainError, ErrorCode
from api.infra import clock
from api.infra.i18n import N_, Text
from api.models import ThrottleFailure

#: Rows older than this are never counted by any limit and may be purged.
RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    """At most `limit` failures counted against `key` within `window`; beyond it the attempt
    is refused with `code` (`message`, or a generic "too many failed …")."""

    key: str
    limit: int
    window: timedelta
    code: ErrorCode = ErrorCode.RATE_LIMITED
    message: str | Text | None = None


class Attempt:
    """An attempt that was allowed to go ahead; its rows count as a failure unless
    `succeeded()` is called."""

    def __init__(self, row_ids: list[int]) -> None:
        self.row_ids = row_ids

    async def succeeded(self) -> None:
        """The attempt was right: it is not a failure."""
        if self.row_ids:
            await ThrottleFailure.filter(id__in=self.row_ids).delete()
            self.row_ids = []


def _refusal(limit: Limit, what: str | Text) -> DomainError:
    if limit.message is not None:
        return DomainError(limit.code, limit.message)
    minutes = max(int(limit.window.total_seconds() // 60), 1)
    return DomainError(
        limit.code,
        N_(
            "Too many failed %(what)s. Please wait up to %(n)s minutes and try again.",
            what=what,
            n=minutes,
        ),
    )


async def attempt(limits: Sequence[Limit], what: str | Text) -> Attempt:
    """Records an attempt against every limit's key, then decides; raises the first exceeded
    limit's error (in the order given) and leaves nothing recorded when it is refused.

    Must not run inside a transaction: the rows must be committed before they are counted."""
    if isinstance(ThrottleFailure._meta.db, TransactionalDBClient):
        raise RuntimeError("throttle.attempt must run outside a transaction")
    at = clock.now()
    row_ids: list[int] = []
    for limit in limits:
        row = await ThrottleFailure.create(key=limit.key, created_at=at)
        row_ids.append(row.id)
    counts = await _counts(limits, at)
    for limit, counted in zip(limits, counts, strict=True):
        if counted > limit.limit:
            await ThrottleFailure.filter(id__in=row_ids).delete()
            raise _refusal(limit, what)
    return Attempt(row_ids)


async def quota(key: str, limit: int, window: timedelta, message: str | Text) -> None:
    """Counts one use of an action against `key`, successful or not (issuing certificates,
    messaging an event, adding walk-ins…): beyond `limit` uses within `window` it is refused
    with `message` (code RATE_LIMITED). Holds for parallel bursts, like `attempt`."""
    await attempt([Limit(key, limit, window, message=message)], message)


async def _counts(limits: Sequence[Limit], at: datetime) -> list[int]:
    """Each limit's rows in its window, counted in one statement."""
    counts = {
        f"n{i}": Count("id", _filter=Q(key=limit.key, created_at__gte=at - limit.window))
        for i, limit in enumerate(limits)
    }
    rows = (
        await ThrottleFailure.filter(key__in=[limit.key for limit in limits])
        .annotate(**counts)
        .values(*counts)
    )
    row: dict[str, Any] = rows[0] if rows else {}
    return [int(row.get(name) or 0) for name in counts]


async def failures(key: str, window: timedelta) -> int:
    """How many failures are counted against `key` now."""
    return await ThrottleFailure.filter(key=key, created_at__gte=clock.now() - window).count()


async def clear(keys: list[str]) -> None:
    await ThrottleFailure.filter(key__in=keys).delete()


async def purge_expired() -> int:
    """Deletes rows no limit counts any more; the number deleted."""
    return await ThrottleFailure.filter(created_at__lt=clock.now() - RETENTION).delete()


# --- the earlier count-check-record interface, kept for callers not yet moved to `attempt` ---
# `check` then `record_failure` lets every attempt of a parallel burst through the check:
# new code should use `attempt`.


async def check(keys: list[str], limit: int, window: timedelta, what: str | Text) -> None:
    for key in keys:
        if await failures(key, window) >= limit:
            raise _refusal(Limit(key, limit, window), what)


async def record_failure(keys: list[str]) -> None:
    at = clock.now()
    await ThrottleFailure.bulk_create([ThrottleFailure(key=k, created_at=at) for k in keys])
