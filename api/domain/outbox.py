"""The outbox: domain events written in the same transaction as the change they record."""

from __future__ import annotations

from typing import Any

from api.infra import wakeups
from api.models import DomainEvent


async def record(kind: str, **payload: Any) -> DomainEvent:
    """Writes the event; once its transaction commits, this worker's dispatcher wakes up (the
    periodic scan stays the safety net, e.g. for rows written by another process)."""
    event = await DomainEvent.create(kind=kind, payload=payload)
    wakeups.after_commit(wakeups.outbox_written.notify)
    return event
