"""`/graphql` over HTTP: one ASGI wrapper in front of the GraphQL app that applies, in one pass
(the request's headers read once, its body read and decoded once, one hold on `send`):

1. the rate limits (`api.http.rate_limits`): whose budget pays, a spent budget's 429 before
   anything is read, the `RateLimit-*` headers on every answer;
2. GraphQL over HTTP (`api.http.graphql_over_http`): 415 for a body that is not JSON,
   persisted queries and trusted documents, `application/graphql-response+json`;
3. the response cache (`api.http.response_cache`): an anonymous query's stored answer and
   ETag (`304` when the client has it), served without JSON work;
4. infrastructure faults and the request's deadline (`api.http.unavailable`): 503 with
   `Retry-After` (the application-wide middleware leaves `/graphql` to this one).

The rules stay in those modules; this one is only the plumbing between them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import graphql_over_http as over_http
from api.http import json_codec, unavailable
from api.http import rate_limits as limits
from api.http import response_cache as cache
from api.infra.change_bus import bus
from api.infra.faults import is_unavailable
from api.infra.rate_counter import SharedCounters

log = logging.getLogger("linli.http")

Headers = list[tuple[bytes, bytes]]
GET_POST = ("GET", "POST")


class GraphQLEndpoint:
    """See the module's docstring. `deadline`: seconds a request may take (None: no limit)."""

    def __init__(
        self, app: ASGIApp, counters: SharedCounters, *, deadline: float | None = None
    ) -> None:
        self.app = app
        self.counters = counters
        self.deadline = deadline
        self.persisted = over_http.PersistedQueries()
        self.cache = cache.ResponseCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        asked = dict(reversed(scope["headers"]))  # (the first of a repeated header, as Starlette)
        spec = over_http.wants_spec(asked)
        reply = _Reply(send, over_http.media_type(spec), spec and scope["method"] in GET_POST)
        body = _Body(receive)
        deadline = asyncio.timeout(self.deadline)
        reply.deadline = deadline
        try:
            async with deadline:
                await self._serve(scope, asked, body, reply)
        except Exception as exc:
            if reply.started or not is_unavailable(exc):
                raise
            unavailable.log_fault(scope, exc)
            done = body.done or await unavailable.drain(receive, body.received)
            status, headers, answer = unavailable.graphql_answer(close=not done)
            reply.deadline = None  # (over)
            await reply.raw(status, headers, answer)

    async def _serve(
        self, scope: Scope, asked: dict[bytes, bytes], body: _Body, reply: _Reply
    ) -> None:
        ticket = reply.ticket = await limits.ticket_for(scope, asked, self.counters)
        if ticket is not None:
            if ticket.refused:  # spent: not even parsed (but read, so the client sees the 429)
                await limits.drain(body.receive)
                return await reply.raw(*limits.refusal(ticket, reply.media.decode()))
            scope[limits.TICKET] = ticket
        method = scope["method"]
        if method == "POST":
            if not over_http.is_json(asked.get(b"content-type", b"")):
                return await reply.refuse(over_http.NOT_JSON)
            raw = await cache.read_body(body.receive)
            try:
                payload = json_codec.loads(raw)
            except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
                return await reply.refuse(over_http.BAD_BODY)
            if not isinstance(payload, dict):
                return await self.app(scope, cache.replaying(raw), reply.send)
            outcome = self.persisted.resolve(payload, asked)
            if isinstance(outcome, tuple):
                return await reply.refuse(outcome)
            if outcome is not None:
                payload, raw = outcome, json_codec.dumps(outcome)
            key = cache.post_key(payload) if cache.cacheable_caller(asked) else None
            return await self._answer(scope, cache.replaying(raw), key, asked, reply)
        if method != "GET":  # HEAD: the app answers (405)
            return await self.app(scope, body.receive, reply.send)
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        request: dict[str, Any] = dict(params)
        if "extensions" in params:
            try:
                request["extensions"] = json_codec.loads(params["extensions"])
            except (ValueError, RecursionError):
                return await reply.refuse(over_http.BAD_EXTENSIONS)
        outcome = self.persisted.resolve(request, asked)
        if isinstance(outcome, tuple):
            return await reply.refuse(outcome)
        if outcome is not None:
            params["query"] = outcome["query"]
            params.pop("extensions", None)
            scope = {**scope, "query_string": urlencode(params).encode()}
        key = cache.get_key(params) if cache.cacheable_caller(asked) else None
        receive = cache.replaying(b"") if key is not None else body.receive
        return await self._answer(scope, receive, key, asked, reply)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        key: str | None,
        asked: dict[bytes, bytes],
        reply: _Reply,
    ) -> None:
        """From the cache when it can, else from the app."""
        # Read BEFORE executing: an answer is never stored under a newer version than its data.
        version = await bus.cache_version() if key is not None else None
        if key is None or version is None:
            return await self.app(scope, receive, reply.send)
        fresh = b"no-cache" in asked.get(b"cache-control", b"")
        found = await self.cache.answer(
            key, version, fresh, lambda: cache.capture(self.app, scope, receive)
        )
        if isinstance(found, cache.Entry):
            ticket = reply.ticket
            if ticket is not None and not ticket.charged:
                await ticket.charge(found.points)  # what it cost when it was computed
            status, headers = cache.entry_headers(found, reply.media, asked.get(b"if-none-match"))
            if status == 304 and reply.spec:
                headers.append((b"content-length", b"0"))
            return await reply.whole(status, headers, found.body if status == 200 else b"")
        await reply.send({"type": "http.response.start", "status": found[0], "headers": found[1]})
        await reply.send({"type": "http.response.body", "body": found[2]})


class _Body:
    """The request's `receive`, counting what was read (for draining after a fault)."""

    __slots__ = ("_receive", "done", "received")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.done = False
        self.received = 0

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = self.done or not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.done = True
        return message


class _Reply:
    """The one hold on `send`: the rate limit's headers or its 429, the GraphQL-over-HTTP
    media type, and the deadline lifted once the answer starts."""

    __slots__ = (
        "_chunks",
        "_send",
        "_start",
        "deadline",
        "media",
        "replaced",
        "spec",
        "started",
        "ticket",
    )

    def __init__(self, send: Send, media: bytes, spec: bool) -> None:
        self._send = send
        self.media = media  # of the answers made here
        self.spec = spec  # the app's answer is converted to `application/graphql-response+json`
        self.ticket: limits.Ticket | None = None
        self.deadline: asyncio.Timeout | None = None
        self.started = False
        self.replaced = False  # the app's answer, replaced by the 429
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def raw(self, status: int, headers: Headers, body: bytes) -> None:
        """An answer sent as it is (a 429, a 503)."""
        self._starting()
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})

    async def refuse(self, refusal: over_http.Refusal) -> None:
        status, code, message = refusal
        body = over_http.refusal_body(code, message)
        headers = [(b"content-type", self.media), (b"content-length", str(len(body)).encode())]
        await self.whole(status, headers, body)

    async def whole(self, status: int, headers: Headers, body: bytes) -> None:
        """A whole answer made here (the rate limit still applies)."""
        if await self._begin(status, headers):
            await self._send({"type": "http.response.body", "body": body})

    async def send(self, message: Message) -> None:
        """The app's messages."""
        if self.replaced:
            return None
        kind = message["type"]
        if kind == "http.response.start":
            if self.spec:
                self._start = message
                return None
            await self._begin(message["status"], message.get("headers", []), app=True)
            return None
        if kind != "http.response.body" or not self.spec:
            return await self._send(message)
        self._chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return None
        return await self._flush(b"".join(self._chunks))

    async def _flush(self, body: bytes) -> None:
        assert self._start is not None
        status = self._start["status"]
        headers = [
            (k, v) for k, v in self._start.get("headers", []) if k.lower() != b"content-length"
        ]
        is_json = any(k.lower() == b"content-type" and b"json" in v for k, v in headers)
        if is_json and status == 200:
            status, body = over_http.spec_answer(body)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", self.media))
        headers.append((b"content-length", str(len(body)).encode()))
        if await self._begin(status, headers, app=True):
            await self._send({"type": "http.response.body", "body": body})

    async def _begin(self, status: int, headers: Headers, *, app: bool = False) -> bool:
        """Sends the answer's start with the rate limit's headers; False when the 429 went
        instead."""
        ticket = self.ticket
        if ticket is not None:
            if not await ticket.settle():
                self.replaced = True
                await self.raw(*limits.refusal(ticket, self.media.decode()))
                return False
            headers = limits.with_headers(ticket, headers) if app else headers + ticket.headers()
        self._starting()
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        return True

    def _starting(self) -> None:
        self.started = True
        if self.deadline is not None:
            self.deadline.reschedule(None)  # the answer is on its way: no deadline for sending
