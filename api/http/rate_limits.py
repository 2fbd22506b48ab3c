"""Rate limits on `/graphql`, in one place: every answer to a limited caller carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds to the hour's end);
a caller over its budget gets `429`, `Retry-After` and a GraphQL error with
`extensions.code = "RATE_LIMITED"`, and nothing is executed.

The `/graphql` endpoint (`api.http.graphql_endpoint`) applies them to everything it answers
over HTTP (GraphQL over HTTP, the response cache, the GraphQL app), so every answer, a refused
persisted query or a 415 included, carries the headers. `ticket_for` works out whose budget
pays (`api.domain.rate_limits`); the endpoint puts the `Ticket` in the request's scope. What
the request costs is known only once its document is validated: the query-cost extension
charges the ticket before execution (and stops it when refused), the response cache charges
it for an answer it serves itself (`Ticket.charge` with the cost stored with the answer). A
request that never reached execution is charged one point (`Ticket.settle`). When the ticket
was refused, the endpoint answers the 429 (`refusal`) instead.

Counting is per worker in memory, added to the database in batches
(`api.infra.rate_counter`, which states the bound on overshoot across workers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from starlette.requests import HTTPConnection, Request
from starlette.types import Receive, Scope

from api.domain import rate_limits
from api.domain.actors import Actor
from api.http.actor import InvalidBearerToken, actor_for
from api.http.language import api_language
from api.http.sessions import SESSION_COOKIE
from api.infra import clock
from api.infra.i18n import N_, render
from api.infra.rate_counter import SharedCounters, Usage

RATE_LIMITED = "RATE_LIMITED"
TICKET = "linli.rate_limit"
DRAIN_LIMIT = 1024 * 1024


class Ticket:
    """One request's charge against its caller's budget."""

    __slots__ = ("_language", "_scope", "budget", "counters", "points", "refused", "usage")

    def __init__(
        self,
        budget: rate_limits.Budget,
        counters: SharedCounters,
        *,
        scope: Scope | None = None,
    ) -> None:
        self.budget = budget
        self.counters = counters
        self._language: str | None = None
        self._scope = scope  # (the language is read from its Accept-Language when needed)
        self.points: int | None = None  # what this request was charged (or asked for)
        self.refused = False
        self.usage: Usage | None = None  # the figures right after the charge

    @property
    def language(self) -> str | None:
        """The refusal's language (the API's: Accept-Language)."""
        if self._language is None and self._scope is not None:
            self._language = api_language(HTTPConnection(self._scope))
        return self._language

    @property
    def charged(self) -> bool:
        return self.points is not None

    async def charge(self, points: int) -> bool:
        """Charges the request (once); False when its caller's budget does not allow it."""
        if self.points is not None:
            return not self.refused
        allowed, self.usage = await self.counters.charge(
            self.budget.caller, self.budget.limit, points
        )
        self.points = points
        self.refused = not allowed
        return allowed

    async def settle(self) -> bool:
        """Before the answer goes out: a request that never reached execution (refused before
        it, or not GraphQL) costs one point, charged only if it is left. False: refused."""
        if self.points is None:
            await self.charge(1)
            self.refused = False
        return not self.refused

    def reset_seconds(self) -> int:
        assert self.usage is not None
        seconds = (self.usage.resets_at - clock.now()).total_seconds()
        return max(1, math.ceil(seconds))

    def headers(self) -> list[tuple[bytes, bytes]]:
        assert self.usage is not None
        found = [
            (b"ratelimit-limit", str(self.usage.limit).encode()),
            (b"ratelimit-remaining", str(self.usage.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds()).encode()),
        ]
        if self.refused:
            found.append((b"retry-after", str(self.reset_seconds()).encode()))
        return found

    def error(self) -> dict[str, object]:
        """The GraphQL error of a refused request."""
        assert self.usage is not None
        seconds = self.reset_seconds()
        extensions: dict[str, object] = {
            "code": RATE_LIMITED,
            "limit": self.usage.limit,
            "remaining": self.usage.remaining,
            "resetAt": self.usage.resets_at.isoformat(),
            "retryAfter": seconds,
        }
        if self.points is not None:
            extensions["cost"] = self.points
        return {
            "message": render(
                N_(
                    "Rate limit exceeded: this request costs %(points)s points and "
                    "%(remaining)s of %(limit)s points are left this hour. "
                    "Try again in %(seconds)s seconds.",
                    points=self.points or 1,
                    remaining=self.usage.remaining,
                    limit=self.usage.limit,
                    seconds=seconds,
                ),
                self.language,
            ),
            "extensions": extensions,
        }


def ticket_of(scope: Scope) -> Ticket | None:
    found = scope.get(TICKET)
    return found if isinstance(found, Ticket) else None


async def ticket_for(
    scope: Scope, headers: Mapping[bytes, bytes], counters: SharedCounters
) -> Ticket | None:
    """The request's ticket (its caller's usage read), or None when it is not limited."""
    if not rate_limits.limits_enabled():
        return None
    budget = await _budget(scope, headers)
    if budget is None:
        return None
    ticket = Ticket(budget, counters, scope=scope)
    ticket.usage = await counters.usage(budget.caller, budget.limit)
    if ticket.usage.remaining <= 0:  # spent: not even parsed
        ticket.refused = True
    return ticket


async def _budget(scope: Scope, headers: Mapping[bytes, bytes]) -> rate_limits.Budget | None:
    actor = Actor()
    if b"authorization" in headers or SESSION_COOKIE.encode() in headers.get(b"cookie", b""):
        try:
            actor = await actor_for(Request(scope), unsafe_method=scope["method"] == "POST")
        except InvalidBearerToken:
            return None  # the GraphQL app answers 401
    client = scope.get("client")
    address = client[0] if client else "local"
    return rate_limits.budget_for(actor, address)


def with_headers(ticket: Ticket, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the ticket's figures (in place of any the app set)."""
    kept = [(k, v) for k, v in headers if not k.lower().startswith(b"ratelimit-")]
    return kept + ticket.headers()


async def drain(receive: Receive, limit: int = DRAIN_LIMIT) -> None:
    """Reads the request's body (up to `limit` bytes) without keeping it."""
    received = 0
    while received <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        received += len(message.get("body", b""))


def refusal(ticket: Ticket, media: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 429 (status, headers, body), in the media type asked for."""
    body = json.dumps({"errors": [ticket.error()]}).encode()
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *ticket.headers(),
    ]
    return 429, headers, body
