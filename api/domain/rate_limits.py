"""Rate limits: what a GraphQL request costs in points, and whose budget pays for it.

**Points.** A request costs `max(1, ceil(cost / 100))` points, where `cost` is the query's
cost (`api.graphql.cost`: the most objects it can return), as GitHub counts. A mutation or a
small read costs 1 point, the upcoming-events page (20 events with their shifts) 2–3, an
event page 4, and the costliest query the server runs at all (`LINLI_MAX_QUERY_COST`,
25 000) 250. A request refused before execution (it does not parse or validate, or is too
costly) costs 1 point.

**Budgets**, per clock hour (they all reset on the hour, UTC):

* each API token: `LINLI_RATE_LIMIT_POINTS` (default 5 000), its own, apart from its owner's
  other tokens;
* each account's browser sessions together (a logged-in volunteer on several phones):
  `LINLI_RATE_LIMIT_POINTS` too;
* each anonymous client address: `LINLI_RATE_LIMIT_ANONYMOUS_POINTS` (default 2 000). The
  address is the socket's peer, or what a proxy listed in `LINLI_TRUSTED_PROXIES` says.

A budget of 0 turns that limit off. Pages rendered by the server are not counted: the limits
apply to `/graphql`.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.actors import Actor
from api.settings import get_settings

COST_PER_POINT = 100
#: Callers' keys are kept at this length (an IPv6 address with its scope fits).
MAX_CALLER = 150


def points_for(cost: int) -> int:
    """The points a query of this cost is charged."""
    return max(1, -(-cost // COST_PER_POINT))


@dataclass(frozen=True)
class Budget:
    """Who pays (`token:12`, `account:7`, `address:203.0.113.7`) and their points per hour."""

    caller: str
    limit: int


def budget_for(actor: Actor, address: str) -> Budget | None:
    """The budget that pays for this caller's requests; None when it is not limited."""
    settings = get_settings()
    if actor.token_id is not None:
        caller, limit = f"token:{actor.token_id}", settings.rate_limit_points
    elif actor.volunteer is not None:
        caller, limit = f"account:{actor.volunteer.id}", settings.rate_limit_points
    else:
        caller, limit = f"address:{address}", settings.rate_limit_anonymous_points
    if limit <= 0:
        return None
    return Budget(caller=caller[:MAX_CALLER], limit=limit)


def limits_enabled() -> bool:
    settings = get_settings()
    return settings.rate_limit_points > 0 or settings.rate_limit_anonymous_points > 0
