"""Infrastructure faults answer 503 with `Retry-After`, within a per-request deadline.

The outermost middleware of the app. When a request fails because the database is down, too
slow, full or read-only (`api.infra.faults.is_unavailable`), or when it runs past its deadline,
and no answer has started yet, the client gets:

* GraphQL (`/graphql`, or a JSON client): `503`, `Retry-After`, and a GraphQL error with
  `extensions.code = "SERVICE_UNAVAILABLE"`;
* pages: `503`, `Retry-After`, and the "稍后再试" page in the caller's language.

The request body is read to its end first (unless it is large), so the client sees the answer
and not a reset connection. Anything else (a bug) passes through to Starlette's 500 handler.
`/graphql` over HTTP keeps its deadline and gives its 503 itself (`api.http.graphql_endpoint`,
with `log_fault`, `drain` and `graphql_answer` from here): the middleware leaves the paths
in `served_elsewhere` alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.infra import metrics
from api.infra.faults import RETRY_AFTER_SECONDS, ServiceUnavailable, is_unavailable, reason_of

log = logging.getLogger("linli.http")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Please try again shortly."
#: Request bodies up to this size are read before answering; a larger rest closes the connection.
DRAIN_LIMIT = 1024 * 1024
DRAIN_SECONDS = 2.0

PageRenderer = Callable[[Request], Response]


def graphql_unavailable_body() -> bytes:
    return json.dumps(
        {
            "data": None,
            "errors": [
                {
                    "message": UNAVAILABLE_MESSAGE,
                    "extensions": {
                        "code": SERVICE_UNAVAILABLE,
                        "retryAfter": RETRY_AFTER_SECONDS,
                    },
                }
            ],
        }
    ).encode()


def _wants_json(scope: Scope) -> bool:
    if scope.get("path", "").startswith("/graphql"):
        return True
    accept = Headers(scope=scope).get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def unavailable_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


class ServiceUnavailableMiddleware:
    """See the module's docstring. `deadline` is in seconds (None: no deadline)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        page: PageRenderer | None = None,
        deadline: float | None = None,
        served_elsewhere: Collection[str] = (),
    ) -> None:
        self.app = app
        self.page = page
        self.deadline = deadline
        self.served_elsewhere = frozenset(served_elsewhere)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.served_elsewhere:
            return await self.app(scope, receive, send)
        started = False
        body_done = False
        received = 0
        deadline = asyncio.timeout(self.deadline)

        async def tracking_receive() -> Message:
            nonlocal body_done, received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = body_done or not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.reschedule(None)  # the answer is on its way: no deadline for sending
            await send(message)

        try:
            async with deadline:
                await self.app(scope, tracking_receive, tracking_send)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            log_fault(scope, exc)
            if not body_done:
                body_done = await drain(receive, received)
            response = self._response(scope)
            if not body_done:
                response.headers["Connection"] = "close"
            await response(scope, receive, send)

    def _response(self, scope: Scope) -> Response:
        if not _wants_json(scope) and self.page is not None:
            try:
                response = self.page(Request(scope))
                response.status_code = 503
                response.headers.update(unavailable_headers())
                return response
            except Exception:  # the page itself failed: a plain answer still helps
                log.exception("rendering the 503 page failed")
        if _wants_json(scope):
            return Response(
                graphql_unavailable_body(),
                status_code=503,
                media_type="application/json",
                headers=unavailable_headers(),
            )
        return PlainTextResponse(
            "503 稍后再试 / Please try again shortly.",
            status_code=503,
            headers=unavailable_headers(),
        )


def log_fault(scope: Scope, exc: Exception) -> None:
    """The warning and the metric of an infrastructure fault answered with 503."""
    log.warning(
        "503 %s %s: %s (%s)",
        scope.get("method"),
        scope.get("path"),
        reason_of(exc),
        type(exc).__name__,
        extra={"fault": reason_of(exc)},
    )
    if not isinstance(exc, ServiceUnavailable):  # (those were counted where raised)
        metrics.DATABASE_ERRORS.labels(reason_of(exc)).inc()


def graphql_answer(*, close: bool) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """`/graphql`'s 503 (status, headers, body); `close`: the request body was not all read."""
    body = graphql_unavailable_body()
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
        *((k.lower().encode(), v.encode()) for k, v in unavailable_headers().items()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    return 503, headers, body


async def drain(receive: Receive, received: int) -> bool:
    """Reads the rest of the request body (so the client is not reset); True when done."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while received <= DRAIN_LIMIT:
                message = await receive()
                if message["type"] != "http.request":
                    return True
                received += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return True
    except TimeoutError:
        pass
    return False
