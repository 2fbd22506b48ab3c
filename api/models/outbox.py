from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DomainEvent(Model):
    # The outbox: something that happened (a promotion, a cancellation…), written in the
    # same transaction as the change itself, and turned into notifications exactly once.

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=40, db_index=True)
    payload: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)
    # Claimed by one dispatcher (any worker) with a conditional update; then processed.
    claimed_at = fields.DatetimeField(null=True)
    processed_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "domain_event"
