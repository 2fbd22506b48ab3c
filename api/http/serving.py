"""The sockets: how long a client may take to send a request, and how many are served at once.

uvicorn closes an idle keep-alive connection after `timeout_keep_alive`, refuses connections
beyond `limit_concurrency` with 503 and bounds a request line plus headers by
`h11_max_incomplete_event_size`, but it waits for slow headers and slow bodies forever
(one byte every few seconds holds a connection and a worker's memory). Here:

* `TimedH11Protocol` closes a connection whose request headers are not complete
  `header_timeout` seconds after it opened (or after the previous response);
* `BodyTimeout` (ASGI middleware) answers 408 when a request body is not complete
  `body_timeout` seconds after the application first asked for it."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # uvicorn[standard]

from api.settings import get_settings

MAX_HEADERS_SIZE = 16 * 1024  # request line and headers together


class _HeadersDeadline:
    """Closes the connection when a request's headers are not complete in time."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _headers_timer: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def _arm_headers_timer(self) -> None:
        self._cancel_headers_timer()
        self._header_bytes = 0
        self._headers_timer = self.loop.call_later(
            get_settings().header_timeout, self._headers_too_slow
        )

    def _cancel_headers_timer(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_too_slow(self) -> None:
        self._headers_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class TimedH11Protocol(_HeadersDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_headers_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_headers_timer()  # the headers are in (or the connection is over)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_headers_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_timer()
        super().connection_lost(exc)


class TimedHttpToolsProtocol(_HeadersDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol (the faster parser) with a deadline for the headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_headers_timer()

    def data_received(self, data: bytes) -> None:
        awaiting = self._headers_timer is not None
        super().data_received(data)
        if awaiting and self._headers_timer is not None:  # the headers are still not complete
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADERS_SIZE and not self.transport.is_closing():
                self.transport.close()  # what h11_max_incomplete_event_size does for h11

    def on_headers_complete(self) -> None:
        self._cancel_headers_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Armed only when no pipelined request is waiting (then the keep-alive timer runs).
        if not self.transport.is_closing() and self.timeout_keep_alive_task is not None:
            self._arm_headers_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_timer()
        super().connection_lost(exc)


class _BodyTooSlow(Exception):
    pass


class BodyTimeout:
    """Answers 408 when the request body is not complete in time (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done
            if body_done:
                return await receive()  # waiting for a disconnect: no deadline
            if deadline is None:
                deadline = loop.time() + get_settings().body_timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _BodyTooSlow:
            if started:
                raise
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
                }
            )
            await send({"type": "http.response.body", "body": b"Request body too slow.\n"})


def uvicorn_options() -> dict[str, Any]:
    """The socket settings `linli serve` gives uvicorn."""
    settings = get_settings()
    return {
        "http": TimedHttpToolsProtocol,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": MAX_HEADERS_SIZE,
        "backlog": 2048,
        "timeout_graceful_shutdown": 30,
    }
