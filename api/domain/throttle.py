"""Counting failed attempts per key (a phone, an address…) in a sliding window.

Kept in the database so that every worker process sees the same counts."""

from __future__ import annotations

from datetime import timedelta

from api.domain.errors import DomainError, ErrorCode
from api.infra import clock
from api.infra.i18n import N_, Text
from api.models import ThrottleFailure


async def check(keys: list[str], limit: int, window: timedelta, what: str | Text) -> None:
    since = clock.now() - window
    for key in keys:
        failures = await ThrottleFailure.filter(key=key, created_at__gte=since).count()
        if failures >= limit:
            minutes = max(int(window.total_seconds() // 60), 1)
            raise DomainError(
                ErrorCode.RATE_LIMITED,
                N_(
                    "Too many failed %(what)s. Please wait up to %(n)s minutes and try again.",
                    what=what,
                    n=minutes,
                ),
            )


async def record_failure(keys: list[str]) -> None:
    at = clock.now()
    await ThrottleFailure.bulk_create([ThrottleFailure(key=k, created_at=at) for k in keys])


async def clear(keys: list[str]) -> None:
    await ThrottleFailure.filter(key__in=keys).delete()
