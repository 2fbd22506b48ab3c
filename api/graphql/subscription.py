"""Live subscriptions (`WS /graphql`, `graphql-transport-ws`): a shift or an event, sent again
whenever it changes, on whichever worker the change was made (`api.infra.change_bus`).

The first message is the object as it is now; then one message per change of what the
subscriber selected (changes in a burst are read once; an answer equal to the previous one is
not sent: see `api.graphql.view`). The object is looked up, and checked visible to the
caller, exactly as `node(id:)` does it, at the start and again before every message: an
unknown id, or one the caller may not see, is an error (never a hint that it exists), and a
subscription whose object becomes invisible (an event unpublished) or is deleted ends with
that error. A connection whose session ended or whose token was revoked stops too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.models import Model

from api import models
from api.domain import api_tokens
from api.domain.visibility import may_see
from api.graphql.context import Info
from api.graphql.cost import operation_cost, too_costly
from api.graphql.loaders import Loaders
from api.graphql.types.refs import EventRef, ShiftRef
from api.http.errors import PublicError
from api.http.ids import decode_id
from api.infra.change_bus import Change, Watcher, bus
from api.infra.faults import is_unavailable
from api.settings import get_settings

#: Changes arriving this close together are read once.
COALESCE_SECONDS = 0.1
#: A read that failed because the database was away is tried again after this long.
RETRY_SECONDS = 2.0
#: Tables whose notifications name the shift or event they touch; a change of any other
#: watched table (a team's name, a community…) may show in any selection.
KEYED_TABLES = frozenset({"event", "shift", "signup"})
NOT_FOUND = "NOT_FOUND"
UNAUTHENTICATED = "UNAUTHENTICATED"
M = TypeVar("M", bound=Model)


def _pk(global_id: str, type_name: str) -> int | None:
    try:
        found, pk = decode_id(global_id)
    except PublicError:
        return None
    return pk if found == type_name else None


def _refuse_unless_allowed(info: Info) -> None:
    """The rules every query follows, checked before a subscription starts: a token needs a
    read scope, and the selection's cost (per message) stays within `LINLI_MAX_QUERY_COST`."""
    refusal = api_tokens.read_refusal(info.context.actor)
    if refusal is not None:
        raise PublicError("FORBIDDEN", refusal)
    raw = info._raw_info
    variables: Any = getattr(raw.variable_values, "coerced", raw.variable_values)  # 3.3 wraps
    cost = operation_cost(raw.schema, raw.operation, raw.fragments, dict(variables))
    limit = get_settings().max_query_cost
    if cost > limit:
        raise too_costly(cost, limit)


def _not_found(type_name: str) -> PublicError:
    return PublicError(NOT_FOUND, f"No {type_name.lower()} with this id, or not visible to you.")


async def _visible(info: Info, model: type[M], pk: int | None) -> M | None:
    if pk is None:
        return None
    row = await model.get_or_none(id=pk)
    if row is None or not await may_see(info.context.actor, row):
        return None
    return row


def _wanting(keys: set[str]) -> Callable[[Change], bool]:
    return lambda change: bool(change.keys & keys) or change.table not in KEYED_TABLES


async def _live(
    info: Info,
    type_name: str,
    first: M,
    load: Callable[[], Awaitable[M | None]],
    watcher: Watcher,
) -> AsyncGenerator[M, None]:
    try:
        row: M | None = first
        while row is not None:
            info.context.loaders = Loaders()  # each message reads afresh
            yield row
            row = await _after_next_change(info, load, watcher)
        raise _not_found(type_name)
    finally:
        bus.unwatch(watcher)


async def _after_next_change(
    info: Info, load: Callable[[], Awaitable[M | None]], watcher: Watcher
) -> M | None:
    """The object once something it may show changed (None: gone, or no longer visible)."""
    while True:
        await watcher.wait()
        await asyncio.sleep(COALESCE_SECONDS)
        watcher.changed.clear()  # what arrived during the pause is read now
        try:
            if not await info.context.still_authenticated():
                raise PublicError(UNAUTHENTICATED, "The session ended or the token was revoked.")
            return await load()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # the database is away for a moment: the subscription stays, and reads again later
            await asyncio.sleep(RETRY_SECONDS)
            watcher.changed.set()


async def _subscribe(
    info: Info,
    model: type[M],
    table: str,
    global_id: str,
    related: Callable[[M], set[str]] = lambda row: set(),
) -> AsyncGenerator[M, None]:
    """A subscription to one object: refused, looked up and watched the same way for every
    type. `related` names the other objects (`table:id`) whose changes it also shows."""
    _refuse_unless_allowed(info)
    type_name = model.__name__
    pk = _pk(global_id, type_name)
    keys = {f"{table}:{pk}"}
    # Watching starts before the first read, so no change in between is missed.
    watcher = bus.watch(_wanting(keys))
    first = await _visible(info, model, pk)
    if first is None:
        bus.unwatch(watcher)
        raise _not_found(type_name)
    keys |= related(first)
    return _live(info, type_name, first, lambda: _visible(info, model, pk), watcher)


@strawberry.type(description="Live updates over WebSocket (`graphql-transport-ws` at /graphql).")
class Subscription:
    @strawberry.subscription(
        description="The shift now, then again each time it changes (seats, waitlist, times, "
        "its event…). 实时班次：名额变化即推送. An unknown or invisible id is an error.",
        graphql_type=ShiftRef,
    )
    async def shift_updated(
        self,
        info: Info,
        shift_id: Annotated[
            strawberry.ID, strawberry.argument(description="The shift's global id.")
        ],
    ) -> AsyncGenerator[models.Shift, None]:
        return await _subscribe(
            info, models.Shift, "shift", shift_id, lambda shift: {f"event:{shift.event_id}"}
        )

    @strawberry.subscription(
        description="The event now, then again each time it or one of its shifts changes "
        "(seats, status, times…). 实时活动. An unknown or invisible id is an error.",
        graphql_type=EventRef,
    )
    async def event_updated(
        self,
        info: Info,
        event_id: Annotated[
            strawberry.ID, strawberry.argument(description="The event's global id.")
        ],
    ) -> AsyncGenerator[models.Event, None]:
        return await _subscribe(info, models.Event, "event", event_id)
