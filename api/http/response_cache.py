"""A cache of anonymous query answers, valid while the catalog version is unchanged.

Anonymous callers all see the same public data, so the answer to the same query with the same
variables is the same until something public changes — which the catalog version tells: on
SQLite a counter kept by triggers (`api.infra.freshness`), one cheap read; on PostgreSQL each
worker's count of the change notifications of public tables (`api.infra.change_bus`), None
(no caching) while its LISTEN connection is down. Answers also
expire after a few seconds, because "upcoming" depends on the clock. Each answer carries an
ETag; a client that sends it back in `If-None-Match` gets `304 Not Modified`.

A request with `Cache-Control: no-cache` is executed afresh (and refreshes the entry).
Identical requests that miss at the same moment share one execution.
Anything with a session cookie or an `Authorization` header, any mutation, any answer with
errors, and anything that is not a plain 200 passes straight through. An answer served from
the cache is charged to the caller's rate-limit budget what it cost when it was computed
(`extensions.cost`, kept with it)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.domain.rate_limits import points_for
from api.http import json_codec
from api.http.rate_limits import charge_cached
from api.http.sessions import SESSION_COOKIE
from api.infra.change_bus import bus
from api.settings import get_settings

MAX_ENTRIES = 512
MAX_AGE_SECONDS = 5.0
MAX_CACHED_BODY = 256 * 1024
# Longer documents are never cached (nor parsed here): the schema's token limit refuses them.
MAX_CACHED_QUERY = 32 * 1024


@dataclass(frozen=True)
class Entry:
    version: int
    made_at: float
    body: bytes
    etag: str
    #: the rate-limit points of the query that computed it
    points: int = 1


@lru_cache(maxsize=512)
def _only_queries(document: str) -> bool:
    # The token limit applies here too, before anything is parsed in full: a huge document is
    # refused after `max_tokens` tokens (and then refused again, as cheaply, by the schema).
    try:
        parsed = parse(document, max_tokens=get_settings().max_tokens)
    except GraphQLError:
        return False
    return all(
        isinstance(d, OperationDefinitionNode) and d.operation == OperationType.QUERY
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    ) and any(isinstance(d, OperationDefinitionNode) for d in parsed.definitions)


def _request_key(scope: Scope, body: bytes) -> str | None:
    """A key for a cacheable request, or None."""
    if scope["method"] == "GET":
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        query = (params.get("query") or [None])[0]
        variables = (params.get("variables") or [""])[0]
        operation = (params.get("operationName") or [""])[0]
    else:
        try:
            payload = json_codec.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            return None
        if not isinstance(payload, dict):
            return None
        query = payload.get("query")
        variables = _sorted_json(payload.get("variables") or {})
        operation = payload.get("operationName") or ""
    if not isinstance(query, str) or len(query) > MAX_CACHED_QUERY or not _only_queries(query):
        return None
    if "rateLimit" in query:  # the caller's own budget: never shared
        return None
    return hashlib.sha256(f"{query}\0{variables}\0{operation}".encode()).hexdigest()


def _sorted_json(value: object) -> str:
    """`value` as JSON with sorted keys (a cache key)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # beyond orjson (integers over 64 bits)
        return json.dumps(value, sort_keys=True)


class ResponseCache:
    """ASGI wrapper around the GraphQL app (HTTP GET and POST only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        # Answers being computed: identical requests arriving meanwhile wait for that one
        # instead of all executing the same query when an entry expires.
        self.computing: dict[str, asyncio.Future[Entry | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        anonymous = "authorization" not in headers and SESSION_COOKIE not in headers.get(
            "cookie", ""
        )
        if not anonymous or "text/html" in headers.get("accept", ""):
            return await self.app(scope, receive, send)
        body = await read_body(receive) if scope["method"] == "POST" else b""
        replay = replaying(body)
        key = _request_key(scope, body)
        # Read BEFORE executing: an answer is never stored under a newer version than its data.
        version = await bus.cache_version() if key else None
        if key is None or version is None:
            return await self.app(scope, replay, send)
        fresh = "no-cache" in headers.get("cache-control", "")
        entry = None if fresh else self.entries.get(key)
        if (
            entry
            and entry.version == version
            and time.monotonic() - entry.made_at < MAX_AGE_SECONDS
        ):
            self.entries.move_to_end(key)
            return await _answer(entry, scope, headers, send)
        pending = None if fresh else self.computing.get(key)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared is not None and shared.version == version:
                return await _answer(shared, scope, headers, send)
        computing: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.computing[key] = computing
        try:
            captured = await _capture(self.app, scope, replay)
            entry = self._keep(key, version, captured)
            computing.set_result(entry)
        finally:
            if not computing.done():
                computing.set_result(None)  # failed: those waiting execute it themselves
            if self.computing.get(key) is computing:
                del self.computing[key]
        if entry is not None:
            return await _answer(entry, scope, headers, send)
        await _replay_response(captured, send)

    def _keep(self, key: str, version: int, captured: Captured) -> Entry | None:
        """Stores a cacheable answer (a plain 200 without errors) and returns its entry."""
        status, _, response_body = captured
        if status != 200 or len(response_body) > MAX_CACHED_BODY or b'"errors"' in response_body:
            return None
        entry = Entry(
            version=version,
            made_at=time.monotonic(),
            body=response_body,
            etag=json_codec.etag(response_body),
            points=_points(response_body),
        )
        self.entries[key] = entry
        if len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
        return entry


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


Captured = tuple[int, list[tuple[bytes, bytes]], bytes]


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> Captured:
    status = 500
    response_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status, response_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, response_headers, b"".join(chunks)


async def _replay_response(captured: Captured, send: Send) -> None:
    status, headers, body = captured
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _points(body: bytes) -> int:
    """The rate-limit points of the query that computed `body` (from `extensions.cost`)."""
    try:
        cost = json_codec.loads(body).get("extensions", {}).get("cost", 0)
    except (ValueError, RecursionError, AttributeError):
        return 1
    return points_for(cost if isinstance(cost, int) else 0)


async def _answer(entry: Entry, scope: Scope, request_headers: Headers, send: Send) -> None:
    await charge_cached(scope, entry.points)
    common: list[tuple[bytes, bytes]] = [
        (b"etag", entry.etag.encode()),
        (b"cache-control", b"no-cache"),
        (b"vary", b"Cookie, Authorization"),
    ]
    if request_headers.get("if-none-match") == entry.etag:
        await send({"type": "http.response.start", "status": 304, "headers": common})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(entry.body)).encode()),
        *common,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})
