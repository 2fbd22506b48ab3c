"""Infrastructure faults during execution become one `SERVICE_UNAVAILABLE` error and HTTP 503.

A resolver that fails because the database is down, too slow, full or read-only is not a bug:
instead of a masked "Unexpected error." (and partial data), the answer is `data: null` with a
single error whose `extensions.code` is `SERVICE_UNAVAILABLE`, and — over HTTP — the status
503 with `Retry-After`, so clients know to retry. Listed after `MaskErrors` (extensions leave
in reverse order, so this one sees the original errors first)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from api.http.errors import PublicError
from api.http.unavailable import (
    SERVICE_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    unavailable_headers,
)
from api.infra import metrics
from api.infra.faults import RETRY_AFTER_SECONDS, is_unavailable, reason_of

log = logging.getLogger("linli.graphql")


def unavailable_error() -> GraphQLError:
    return GraphQLError(
        UNAVAILABLE_MESSAGE,
        original_error=PublicError(SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE),
        extensions={"code": SERVICE_UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS},
    )


def is_unavailable_error(error: GraphQLError) -> bool:
    return bool(error.extensions and error.extensions.get("code") == SERVICE_UNAVAILABLE)


class ServiceUnavailableErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        if not any(
            e.original_error is not None and is_unavailable(e.original_error) for e in errors
        ):
            return
        reasons = sorted(
            reason_of(e.original_error)
            for e in errors
            if e.original_error is not None and is_unavailable(e.original_error)
        )
        metrics.DATABASE_ERRORS.labels(reasons[0]).inc()
        result.data = None  # type: ignore[union-attr]
        result.errors = [unavailable_error()]  # type: ignore[union-attr]
        response = getattr(self.execution_context.context, "response", None)
        if isinstance(response, Response):
            response.status_code = 503
            response.headers.update(unavailable_headers())


def log_faults(
    errors: list[GraphQLError], execution_context: ExecutionContext | None = None
) -> list[GraphQLError]:
    """Logs the infrastructure faults among `errors` as one warning line (the same fault would
    otherwise be a traceback per field); returns the other errors."""
    faults = [
        e for e in errors if e.original_error is not None and is_unavailable(e.original_error)
    ]
    if faults:
        original = faults[0].original_error
        assert original is not None
        log.warning(
            "GraphQL %s: database unavailable: %s (%s)",
            getattr(execution_context, "operation_name", None) or "anonymous",
            reason_of(original),
            type(original).__name__,
            extra={"fault": reason_of(original)},
        )
    return [e for e in errors if e not in faults]
