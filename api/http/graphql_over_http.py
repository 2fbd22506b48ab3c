"""GraphQL over HTTP in front of the GraphQL app: what the spec and third parties expect.

* A POST whose body is not JSON (`Content-Type` other than `application/json`) answers 415.
* Automatic persisted queries (Apollo's protocol): a request may send only
  `extensions.persistedQuery.sha256Hash`; a hash this server knows runs its document, an
  unknown one answers `PERSISTED_QUERY_NOT_FOUND` (the client then sends the document with the
  hash once, and it is kept). The app's own documents (`schema/operations/`) are known from
  start-up: they are the trusted documents. `LINLI_TRUSTED_DOCUMENTS_ONLY=anonymous|all`
  refuses other documents from anonymous callers, or from everyone (`PERSISTED_QUERY_REQUIRED`).
* `Accept: application/graphql-response+json` gets that media type, and a request error (the
  document does not parse or validate, so nothing ran) answers 400 without `data`, as the
  GraphQL-over-HTTP spec asks.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import json_codec
from api.http.response_cache import read_body, replaying
from api.http.sessions import SESSION_COOKIE
from api.settings import PROJECT_ROOT, get_settings

GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_PERSISTED = 2048
OPERATIONS_DIR = PROJECT_ROOT / "schema" / "operations"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def trusted_documents(directory: Path = OPERATIONS_DIR) -> dict[str, str]:
    """The app's own operations by their SHA-256 (what the pages and the app send)."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        found[sha256(text)] = text
    return found


class GraphQLOverHTTP:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.trusted = trusted_documents()
        self.persisted: OrderedDict[str, str] = OrderedDict()

    def document(self, digest: str) -> str | None:
        if digest in self.trusted:
            return self.trusted[digest]
        found = self.persisted.get(digest)
        if found is not None:
            self.persisted.move_to_end(digest)
        return found

    def keep(self, digest: str, document: str) -> None:
        if digest in self.trusted:
            return
        self.persisted[digest] = document
        self.persisted.move_to_end(digest)
        while len(self.persisted) > MAX_PERSISTED:
            self.persisted.popitem(last=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        wants_spec = GRAPHQL_RESPONSE in headers.get("accept", "")
        reply = _Replier(send, wants_spec)
        if scope["method"] == "POST":
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return await reply.error(
                    415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json."
                )
            body = await read_body(receive)
            try:
                payload = json_codec.loads(body)
            except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
                return await reply.error(400, "BAD_REQUEST", "The body is not valid JSON.")
            if not isinstance(payload, dict):
                return await self.app(scope, replaying(body), reply.send)
            outcome = self._resolve(payload, headers)
            if isinstance(outcome, tuple):
                return await reply.error(*outcome)
            if outcome is not None:
                body = json_codec.dumps(outcome)
            return await self.app(scope, replaying(body), reply.send)
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        request = dict(params)
        if "extensions" in params:
            try:
                request["extensions"] = json.loads(params["extensions"])
            except (ValueError, RecursionError):
                return await reply.error(400, "BAD_REQUEST", "`extensions` is not valid JSON.")
        outcome = self._resolve(request, headers)
        if isinstance(outcome, tuple):
            return await reply.error(*outcome)
        if outcome is not None:
            params["query"] = outcome["query"]
            params.pop("extensions", None)
            scope = {**scope, "query_string": urlencode(params).encode()}
        return await self.app(scope, receive, reply.send)

    def _resolve(
        self, request: dict[str, Any], headers: Headers
    ) -> dict[str, Any] | tuple[int, str, str] | None:
        """The request with its document filled in (None: unchanged), or a refusal."""
        extensions = request.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = request.get("query")
        if isinstance(persisted, dict):
            digest = persisted.get("sha256Hash")
            if not isinstance(digest, str) or len(digest) != 64:
                return 400, "BAD_REQUEST", "persistedQuery.sha256Hash must be a SHA-256 in hex."
            if isinstance(query, str) and query:
                if sha256(query) != digest:
                    return 400, "BAD_REQUEST", "The provided sha256Hash does not match the query."
                self.keep(digest, query)
                return None
            document = self.document(digest)
            if document is None:
                return 200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"
            filled = dict(request)
            filled["query"] = document
            rest = dict(extensions) if isinstance(extensions, dict) else {}
            rest.pop("persistedQuery", None)
            filled["extensions"] = rest
            return filled
        if (
            isinstance(query, str)
            and self._trusted_only(headers)
            and sha256(query) not in self.trusted
        ):
            return (
                403,
                "PERSISTED_QUERY_REQUIRED",
                "This server runs only its trusted documents: send a persisted query.",
            )
        return None

    def _trusted_only(self, headers: Headers) -> bool:
        mode = get_settings().trusted_documents_only
        if mode == "all":
            return True
        if mode == "anonymous":
            signed_in = "authorization" in headers or SESSION_COOKIE in headers.get("cookie", "")
            return not signed_in
        return False


class _Replier:
    """Sends the app's answer on, in `application/graphql-response+json` when asked."""

    def __init__(self, send: Send, wants_spec: bool) -> None:
        self._send = send
        self.wants_spec = wants_spec
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
        media = GRAPHQL_RESPONSE if self.wants_spec else "application/json"
        await self._send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", media.encode())],
            }
        )
        await self._send({"type": "http.response.body", "body": body.encode()})

    async def send(self, message: Message) -> None:
        if not self.wants_spec:
            return await self._send(message)
        if message["type"] == "http.response.start":
            self._start = message
            return None
        if message["type"] != "http.response.body":
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
            status, body = _spec_answer(body)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", GRAPHQL_RESPONSE.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _spec_answer(body: bytes) -> tuple[int, bytes]:
    """A request error (nothing executed: errors without a path, no data) becomes 400
    without `data`; anything that executed stays 200."""
    try:
        answer = json_codec.loads(body)
    except (ValueError, RecursionError):
        return 200, body
    if not isinstance(answer, dict):
        return 200, body
    errors = answer.get("errors") or []
    executed = answer.get("data") is not None or any("path" in e for e in errors)
    if errors and not executed:
        return 400, json_codec.dumps({"errors": errors})
    return 200, body
