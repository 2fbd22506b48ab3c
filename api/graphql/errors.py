"""Errors: `UserError` payload entries, and public GraphQL errors that are never masked."""

from __future__ import annotations

import logging
from asyncio import Future, get_running_loop, isfuture
from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from api.domain.errors import DomainError, ValidationErrors
from api.graphql.context import Info
from api.http.errors import PublicError
from api.infra.i18n import SOURCE_LANGUAGE, Text

log = logging.getLogger("linli.graphql")
T = TypeVar("T")


#: The description of every payload's `userErrors`.
USER_ERRORS = (
    "Expected failures (full, duplicate, forbidden, bad input…), each with a stable `code`; "
    "empty when the mutation succeeded. Unexpected faults are GraphQL errors instead."
)


@strawberry.type(
    description="An expected failure of a mutation (用户错误): the client switches on `code`, "
    "shows `message`, and may point at the input field named by `field`."
)
class UserError:
    code: str = strawberry.field(
        description="Stable, machine-readable code, e.g. INVALID_INPUT, UNAUTHENTICATED, "
        "FORBIDDEN, NOT_FOUND, ALREADY_SIGNED_UP, EVENT_NOT_OPEN, IDEMPOTENCY_MISMATCH "
        "(see docs/api.md). Codes are never renamed."
    )
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "shifts", "0", '
        '"capacity"]; null when the failure is not about one field.'
    )
    text: strawberry.Private[Text]

    @strawberry.field(
        description="Human-readable explanation in the language of `Accept-Language` (zh-CN "
        "or en; English when none is sent). Wording may change: do not parse it."
    )
    def message(self, info: Info) -> str:
        return self.text.render(info.context.language or SOURCE_LANGUAGE)


class RemovedMeanwhile(PublicError):
    """A row the answer refers to was removed by another request while this one ran."""


def removed_meanwhile(row: T | None, what: str) -> T:
    """A row a non-null field refers to, loaded after its parent: another request may have
    deleted it in between (a shift removed right after a sign-up committed, with the sign-up).
    Then the field answers a NOT_FOUND error (null spreads to the nearest nullable place, as
    for any field error) instead of a masked "Unexpected error."."""
    if row is None:
        raise RemovedMeanwhile("NOT_FOUND", f"The {what} was removed meanwhile.")
    return row


def present(loaded: Awaitable[T | None], what: str) -> Awaitable[T]:
    """`removed_meanwhile` on a DataLoader's value, still as a future (no coroutine, no task:
    a value already known is used at once)."""
    if not isfuture(loaded):
        return _present_later(loaded, what)
    if loaded.done() and not loaded.cancelled() and loaded.exception() is None:
        if loaded.result() is not None:
            return loaded
    checked: Future[T] = get_running_loop().create_future()

    def settle(source: Future[T | None]) -> None:
        if checked.done():
            return
        if source.cancelled():
            checked.cancel()
        elif (error := source.exception()) is not None:
            checked.set_exception(error)
        else:
            try:
                checked.set_result(removed_meanwhile(source.result(), what))
            except PublicError as gone:
                checked.set_exception(gone)

    loaded.add_done_callback(settle)
    return checked


async def _present_later(loaded: Awaitable[T | None], what: str) -> T:
    return removed_meanwhile(await loaded, what)


def user_errors_from(exc: DomainError | ValidationErrors) -> list[UserError]:
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    return [UserError(code=str(e.code), field=e.field, text=e.text) for e in errors]


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors, limits: they speak about the query
    # graphql-core wraps variable coercion problems in another GraphQLError: they speak
    # about the request too.
    # Strawberry's "subscriptions only" (a query over the WebSocket) speaks about the request.
    return not isinstance(
        original,
        GraphQLError
        | PublicError
        | DomainError
        | ValidationErrors
        | InvalidOperationTypeError
        | CannotGetOperationTypeError,
    )


def log_errors(errors: list[GraphQLError]) -> None:
    """Expected errors (the query's or the input's fault) as one line each; unexpected ones,
    which the client sees masked, with their traceback."""
    for error in errors:
        if should_mask(error):
            log.error("Unexpected error at %s", error.path, exc_info=error.original_error)
        else:
            code = (error.extensions or {}).get("code") or "GRAPHQL_ERROR"
            log.info("%s: %s", code, error.message)


def is_removed_meanwhile(error: GraphQLError) -> bool:
    return isinstance(error.original_error, RemovedMeanwhile)
