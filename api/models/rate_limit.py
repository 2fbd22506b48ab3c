from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateLimitUsage(Model):
    # The points one caller (an API token, an account, an anonymous address) has spent in one
    # clock hour, summed over every worker: each worker adds what it counted in batches
    # (`api.infra.rate_counter`). Rows of past hours are purged by the scheduler.

    id = fields.IntField(primary_key=True)
    caller = fields.CharField(max_length=150)
    #: the clock hour, counted in hours since 1970-01-01 00:00 UTC
    hour = fields.BigIntField()
    points = fields.BigIntField(default=0)

    class Meta:
        table = "rate_limit_usage"
        unique_together = (("caller", "hour"),)
