"""GraphQL over HTTP in front of the GraphQL app: what the spec and third parties expect.
(The rules; the `/graphql` endpoint, `api.http.graphql_endpoint`, applies them.)

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from api.http import json_codec
from api.http.sessions import SESSION_COOKIE
from api.settings import PROJECT_ROOT, get_settings

GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_PERSISTED = 2048
OPERATIONS_DIR = PROJECT_ROOT / "schema" / "operations"

#: A refusal made here: (status, code, message).
Refusal = tuple[int, str, str]
NOT_JSON: Refusal = (415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json.")
BAD_BODY: Refusal = (400, "BAD_REQUEST", "The body is not valid JSON.")
BAD_EXTENSIONS: Refusal = (400, "BAD_REQUEST", "`extensions` is not valid JSON.")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def trusted_documents(directory: Path = OPERATIONS_DIR) -> dict[str, str]:
    """The app's own operations by their SHA-256 (what the pages and the app send)."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        found[sha256(text)] = text
    return found


def is_json(content_type: bytes) -> bool:
    """A POST must be `application/json` (parameters aside), else 415."""
    return content_type.split(b";")[0].strip().lower() == b"application/json"


def wants_spec(headers: Mapping[bytes, bytes]) -> bool:
    """The client asked for `application/graphql-response+json`."""
    return b"application/graphql-response+json" in headers.get(b"accept", b"")


def media_type(spec: bool) -> bytes:
    return b"application/graphql-response+json" if spec else b"application/json"


def refusal_body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


class PersistedQueries:
    """Automatic persisted queries and trusted documents (see the module's docstring)."""

    def __init__(self) -> None:
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

    def resolve(
        self, request: dict[str, Any], headers: Mapping[bytes, bytes]
    ) -> dict[str, Any] | Refusal | None:
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
        if isinstance(query, str) and _trusted_only(headers) and sha256(query) not in self.trusted:
            return (
                403,
                "PERSISTED_QUERY_REQUIRED",
                "This server runs only its trusted documents: send a persisted query.",
            )
        return None


def _trusted_only(headers: Mapping[bytes, bytes]) -> bool:
    mode = get_settings().trusted_documents_only
    if mode == "all":
        return True
    if mode == "anonymous":
        signed_in = b"authorization" in headers or SESSION_COOKIE.encode() in headers.get(
            b"cookie", b""
        )
        return not signed_in
    return False


def spec_answer(body: bytes) -> tuple[int, bytes]:
    """A request error (nothing executed: errors without a path, no data) becomes 400
    without `data`; anything that executed stays 200."""
    if b'"errors"' not in body:
        return 200, body
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
