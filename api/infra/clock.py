"""The time, in one place, so tests (and the reminder scheduler) can control it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now().astimezone(UTC)


def utc(moment: datetime) -> datetime:
    """The same instant in UTC. Everything is stored and compared in UTC: SQLite compares
    timestamps as text, so "09:00+08:00" and "01:00+00:00" would not compare as equal."""
    return moment.astimezone(UTC)


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); `None` restores the real one."""
    global _now
    _now = clock or (lambda: datetime.now(UTC))
