from __future__ import annotations

import strawberry

from api import models
from api.domain.catalog import EventQuery
from api.domain.visibility import may_see
from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.graphql.types import (
    Community,
    Event,
    EventFilter,
    Node,
    Team,
    Volunteer,
    event_connection,
)
from api.http.errors import PublicError
from api.http.ids import decode_id

MAX_NODES = 100


async def _node(info: Info, global_id: str) -> object | None:
    type_name, pk = decode_id(global_id)
    loader = info.context.loaders.by_type.get(type_name)
    if loader is None:
        return None
    obj = await loader.load(pk)
    if obj is None or not await may_see(info.context.actor, obj):
        return None
    return obj


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if missing or not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _node(info, id)  # type: ignore[return-value]

    @strawberry.field(description="Several objects by global id, in the order asked (≤ 100).")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise PublicError("INVALID_INPUT", f"At most {MAX_NODES} ids at once.")
        return [await _node(info, i) for i in ids]  # type: ignore[misc]

    @strawberry.field(description="The logged-in volunteer; null when anonymous.")
    def viewer(self, info: Info) -> Volunteer | None:
        return info.context.actor.volunteer  # type: ignore[return-value]

    @strawberry.field(description="Published events, soonest first.")
    async def events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: EventFilter | None = None,
    ) -> Connection[Event]:
        query = filter.to_query() if filter else EventQuery()
        return await event_connection(info, first, after, query)

    @strawberry.field
    async def teams(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Team]:
        return await paginate(models.Team.all(), first=first, after=after)

    @strawberry.field
    async def communities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Community]:
        return await paginate(models.Community.all(), first=first, after=after)
