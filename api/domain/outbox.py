"""The outbox: domain events written in the same transaction as the change they record."""

from __future__ import annotations

from typing import Any

from api.models import DomainEvent


async def record(kind: str, **payload: Any) -> DomainEvent:
    return await DomainEvent.create(kind=kind, payload=payload)
