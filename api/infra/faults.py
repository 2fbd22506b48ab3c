"""Infrastructure faults: the database is unreachable, too slow, full or read-only.

These are not bugs and not the caller's fault: the request may well succeed a little later.
`is_unavailable()` recognises them however they arrive (asyncpg and sqlite3 errors, Tortoise's
wrappers around them, timeouts), so the HTTP layer can answer 503 with `Retry-After` instead
of a 500 or a masked "Unexpected error.".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

#: Seconds a client is told to wait before retrying (the `Retry-After` header).
RETRY_AFTER_SECONDS = 5

# sqlite3.OperationalError messages that describe the file or the disk, not the query
_SQLITE_FAULTS = (
    "readonly database",
    "read-only",
    "database or disk is full",
    "disk i/o error",
    "database is locked",
    "unable to open database",
    "database table is locked",
    "no space left",
)
# PostgreSQL SQLSTATE classes and codes that describe the server, not the query:
# 08 connection, 53 insufficient resources (disk full, too many connections),
# 57 operator intervention (statement timeout 57014, shutdown 57P01..57P03), 58 system error,
# 25006 read-only transaction (a standby); 40001 (serialization failure) and 40P01 (deadlock
# detected): the transaction was rolled back whole and the same request may well succeed at
# once — Linli's lock order (event, shift, sign-ups, volunteer) is meant to make them rare,
# and a client retrying a 503 with the same idempotency key loses and duplicates nothing.
_PG_CLASSES = ("08", "53", "57", "58")
_PG_CODES = ("25006", "40001", "40P01")


class ServiceUnavailable(Exception):
    """Raised where an infrastructure fault must end the request: answer 503, retry later."""

    def __init__(self, reason: str = "unavailable") -> None:
        super().__init__(reason)
        self.reason = reason


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (
            current.__cause__,
            current.__context__,
            getattr(current, "original_error", None),
        ):
            if isinstance(linked, BaseException):
                todo.append(linked)
        for arg in current.args:
            if isinstance(arg, BaseException):
                todo.append(arg)


def _one_is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, ServiceUnavailable | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return True  # connection refused/reset, network unreachable, disk errors
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.IntegrityError
    ):
        text = str(exc).lower()
        return any(fault in text for fault in _SQLITE_FAULTS)
    module = type(exc).__module__
    if module.startswith("asyncpg"):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        if sqlstate:
            return sqlstate[:2] in _PG_CLASSES or sqlstate in _PG_CODES
        # client-side: the connection is closed or was lost, the pool is closing
        name = type(exc).__name__
        return name in (
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "InternalClientError",
            "ConnectionFailureError",
            "ClientCannotConnectError",
            "PostgresConnectionError",
        )
    if type(exc).__name__ == "DBConnectionError" and module.startswith("tortoise"):
        return True
    return False


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or anything it wraps) is an infrastructure fault."""
    return any(_one_is_unavailable(e) for e in _chain(exc))


def reason_of(exc: BaseException) -> str:
    """A short, non-secret word for logs and metrics: timeout, read_only, disk_full, locked,
    conflict, down."""
    for e in _chain(exc):
        text = str(e).lower()
        sqlstate = str(getattr(e, "sqlstate", "") or "")
        if isinstance(e, TimeoutError) or sqlstate == "57014":
            return "timeout"
        if "readonly" in text or "read-only" in text or sqlstate == "25006":
            return "read_only"
        if "full" in text or "no space" in text or sqlstate.startswith("53"):
            return "disk_full"
        if sqlstate in ("40001", "40P01"):
            return "conflict"  # (its text says "blocked by process …")
        if "locked" in text:
            return "locked"
        if isinstance(e, ServiceUnavailable):
            return e.reason
    return "down"
