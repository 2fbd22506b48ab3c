"""Rate limits on `/graphql`, in one place: every answer to a limited caller carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds to the hour's end);
a caller over its budget gets `429`, `Retry-After` and a GraphQL error with
`extensions.code = "RATE_LIMITED"`, and nothing is executed.

`RateLimits` wraps everything `/graphql` answers over HTTP (GraphQL over HTTP, the response
cache, the GraphQL app), so every answer, a refused persisted query or a 415 included, carries
the headers. It works out whose budget pays (`api.domain.rate_limits`) and puts a `Ticket` in
the request's scope. What the request costs is known only once its document is validated: the query-cost
extension charges the ticket before execution (and stops it when refused), the response
cache charges it for an answer it serves itself (`charge_cached`, with the cost stored with
the answer). A request that never reached execution is charged one point. When the ticket
was refused, this middleware replaces the answer by the 429.

Counting is per worker in memory, added to the database in batches
(`api.infra.rate_counter`, which states the bound on overshoot across workers).
"""

from __future__ import annotations

import json
import math

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.domain import rate_limits
from api.domain.actors import Actor
from api.http.actor import InvalidBearerToken, actor_for
from api.http.language import api_language
from api.http.sessions import SESSION_COOKIE
from api.infra import clock
from api.infra.i18n import N_, render
from api.infra.rate_counter import SharedCounters, Usage

RATE_LIMITED = "RATE_LIMITED"
GRAPHQL_RESPONSE = "application/graphql-response+json"  # (as `graphql_over_http` answers)
TICKET = "linli.rate_limit"
DRAIN_LIMIT = 1024 * 1024


class Ticket:
    """One request's charge against its caller's budget."""

    __slots__ = ("budget", "counters", "language", "points", "refused", "usage")

    def __init__(
        self, budget: rate_limits.Budget, counters: SharedCounters, language: str | None = None
    ) -> None:
        self.budget = budget
        self.counters = counters
        self.language = language  # of the refusal's message (the API's: Accept-Language)
        self.points: int | None = None  # what this request was charged (or asked for)
        self.refused = False
        self.usage: Usage | None = None  # the figures right after the charge

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


async def charge_cached(scope: Scope, points: int) -> None:
    """An answer served from the response cache costs what it cost when it was computed."""
    ticket = ticket_of(scope)
    if ticket is not None and not ticket.charged:
        await ticket.charge(points)


class RateLimits:
    """ASGI wrapper around the GraphQL app (HTTP only); see the module's docstring."""

    def __init__(self, app: ASGIApp, counters: SharedCounters) -> None:
        self.app = app
        self.counters = counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not rate_limits.limits_enabled():
            return await self.app(scope, receive, send)
        budget = await self._budget(scope)
        if budget is None:
            return await self.app(scope, receive, send)
        media = "application/json"
        if GRAPHQL_RESPONSE in Headers(scope=scope).get("accept", ""):
            media = GRAPHQL_RESPONSE
        ticket = Ticket(budget, self.counters, api_language(HTTPConnection(scope)))
        ticket.usage = await self.counters.usage(budget.caller, budget.limit)
        if ticket.usage.remaining <= 0:  # spent: not even parsed
            ticket.refused = True
            await _drain(receive)  # (so that the client reads the 429, not a reset)
            return await _send_refusal(ticket, send, media)
        scope[TICKET] = ticket
        replaced = False

        async def limited_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return None  # the app's own answer, replaced by the 429
            if message["type"] != "http.response.start":
                return await send(message)
            if not ticket.charged:  # refused before execution, or not GraphQL: one point
                await ticket.charge(1)
                ticket.refused = False  # (that one point is charged only if it is left)
            if ticket.refused:
                replaced = True
                return await _send_refusal(ticket, send, media)
            headers = [
                (k, v)
                for k, v in message.get("headers", [])
                if not k.lower().startswith(b"ratelimit-")
            ]
            await send({**message, "headers": headers + ticket.headers()})

        await self.app(scope, receive, limited_send)

    async def _budget(self, scope: Scope) -> rate_limits.Budget | None:
        headers = Headers(scope=scope)
        actor = Actor()
        if "authorization" in headers or SESSION_COOKIE in headers.get("cookie", ""):
            try:
                actor = await actor_for(Request(scope), unsafe_method=scope["method"] == "POST")
            except InvalidBearerToken:
                return None  # the GraphQL app answers 401
        client = scope.get("client")
        address = client[0] if client else "local"
        return rate_limits.budget_for(actor, address)


async def _drain(receive: Receive, limit: int = DRAIN_LIMIT) -> None:
    """Reads the request's body (up to `limit` bytes) without keeping it."""
    received = 0
    while received <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        received += len(message.get("body", b""))


async def _send_refusal(ticket: Ticket, send: Send, media: str) -> None:
    body = json.dumps({"errors": [ticket.error()]}).encode()
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *ticket.headers(),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
