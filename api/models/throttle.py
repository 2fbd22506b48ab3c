from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ThrottleFailure(Model):
    # A failed attempt (log-in, check-in code) counted against a key such as a phone or an
    # address; kept in the database so every worker sees the same count.

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=150)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "throttle_failure"
        indexes = (("key", "created_at"),)
