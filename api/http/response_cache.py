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
(`extensions.cost`, kept with it).

The `/graphql` endpoint (`api.http.graphql_endpoint`) asks this cache; an entry keeps the
answer's bytes and its ETag, so serving it does no JSON work."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.types import ASGIApp, Message, Receive, Scope

from api.domain.rate_limits import points_for
from api.http import json_codec
from api.http.sessions import SESSION_COOKIE
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

    # (the header values, made once)
    etag_bytes: bytes = field(init=False, repr=False)
    length: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag_bytes", self.etag.encode())
        object.__setattr__(self, "length", str(len(self.body)).encode())


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


def cacheable_caller(headers: Mapping[bytes, bytes]) -> bool:
    """Anonymous, and not a browser asking for a page (GraphiQL)."""
    return (
        b"authorization" not in headers
        and SESSION_COOKIE.encode() not in headers.get(b"cookie", b"")
        and b"text/html" not in headers.get(b"accept", b"")
    )


def request_key(query: object, variables: str, operation: object) -> str | None:
    """A key for a cacheable request (`variables` as text: sorted JSON, or GET's own), or None."""
    if not isinstance(query, str) or len(query) > MAX_CACHED_QUERY or not _only_queries(query):
        return None
    if "rateLimit" in query:  # the caller's own budget: never shared
        return None
    return hashlib.sha256(f"{query}\0{variables}\0{operation or ''}".encode()).hexdigest()


def post_key(payload: dict[str, Any]) -> str | None:
    """`request_key` of a POST's (decoded) body."""
    query = payload.get("query")
    if not isinstance(query, str):
        return None
    return request_key(
        query, _sorted_json(payload.get("variables") or {}), payload.get("operationName")
    )


def get_key(params: Mapping[str, str]) -> str | None:
    """`request_key` of a GET's parameters."""
    return request_key(
        params.get("query"), params.get("variables", ""), params.get("operationName")
    )


def _sorted_json(value: object) -> str:
    """`value` as JSON with sorted keys (a cache key)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # beyond orjson (integers over 64 bits)
        return json.dumps(value, sort_keys=True)


class ResponseCache:
    """The entries of one worker, and the answers being computed."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        # Answers being computed: identical requests arriving meanwhile wait for that one
        # instead of all executing the same query when an entry expires.
        self.computing: dict[str, asyncio.Future[Entry | None]] = {}

    async def answer(
        self, key: str, version: int, fresh: bool, execute: Callable[[], Awaitable[Captured]]
    ) -> Entry | Captured:
        """The entry for `key` at `version` (stored, shared with an identical request, or
        computed by `execute` and stored), or what `execute` answered when it is not
        cacheable. `fresh`: executed afresh whatever is stored."""
        entry = None if fresh else self.entries.get(key)
        if (
            entry
            and entry.version == version
            and time.monotonic() - entry.made_at < MAX_AGE_SECONDS
        ):
            self.entries.move_to_end(key)
            return entry
        pending = None if fresh else self.computing.get(key)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared is not None and shared.version == version:
                return shared
        computing: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.computing[key] = computing
        try:
            captured = await execute()
            entry = self._keep(key, version, captured)
            computing.set_result(entry)
        finally:
            if not computing.done():
                computing.set_result(None)  # failed: those waiting execute it themselves
            if self.computing.get(key) is computing:
                del self.computing[key]
        return captured if entry is None else entry

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


#: An answer as the app sent it: status, headers, body.
Captured = tuple[int, list[tuple[bytes, bytes]], bytes]


async def capture(app: ASGIApp, scope: Scope, receive: Receive) -> Captured:
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


#: `,"extensions":{"cost":N}}` closing an answer: the top level's (a key inside a string would
#: have its quotes escaped, and the object closes right after it).
_COST_AT_THE_END = re.compile(rb',"extensions":\{"cost":(\d+)\}\}\Z')


def _points(body: bytes) -> int:
    """The rate-limit points of the query that computed `body` (from `extensions.cost`)."""
    found = _COST_AT_THE_END.search(body, max(0, len(body) - 64))
    if found is not None:
        return points_for(int(found.group(1)))
    try:
        cost = json_codec.loads(body).get("extensions", {}).get("cost", 0)
    except (ValueError, RecursionError, AttributeError):
        return 1
    return points_for(cost if isinstance(cost, int) else 0)


def entry_headers(
    entry: Entry, media: bytes, if_none_match: bytes | None
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers of an answer from the cache: 304 when the client has it."""
    headers: list[tuple[bytes, bytes]] = [
        (b"etag", entry.etag_bytes),
        (b"cache-control", b"no-cache"),
        (b"vary", b"Cookie, Authorization"),
    ]
    if if_none_match == entry.etag_bytes:
        return 304, headers
    headers[0:0] = [(b"content-type", media), (b"content-length", entry.length)]
    return 200, headers
