"""The caller's rate-limit budget, as GitHub's `rateLimit` shows it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.http.rate_limits import Ticket


@strawberry.type(
    description="The caller's rate-limit budget this hour (限流额度), in points; the same "
    "figures as the RateLimit-* headers of this answer. See docs/api.md, “Rate limits”."
)
class RateLimit:
    limit: int = strawberry.field(description="Points the caller may spend per hour.")
    remaining: int = strawberry.field(
        description="Points left this hour, after this query was charged."
    )
    reset_at: datetime = strawberry.field(
        description="When the budget is whole again (the end of the current clock hour)."
    )
    cost: int = strawberry.field(
        description="Points this query was charged: max(1, ceil(query cost / 100))."
    )


def rate_limit_of(ticket: Ticket | None) -> RateLimit | None:
    if ticket is None or ticket.usage is None or ticket.points is None:
        return None
    usage = ticket.usage
    return RateLimit(
        limit=usage.limit, remaining=usage.remaining, reset_at=usage.resets_at, cost=ticket.points
    )
