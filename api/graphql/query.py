"""The root query: objects by global id, the viewer, and the public lists."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api import models
from api.domain import changes as change_feed
from api.domain.catalog import EventQuery, all_communities
from api.domain.teams import admins as admin_list
from api.domain.teams import all_teams
from api.domain.visibility import may_see
from api.graphql.context import Info
from api.graphql.mutations.certificates import verify_certificate
from api.graphql.pagination import (
    After,
    Connection,
    First,
    page_size,
    paginate,
    paginate_rows,
    table_list,
    wants_total,
)
from api.graphql.types import EventFilter, Node, event_connection
from api.graphql.types.certificate import CertificateVerification
from api.graphql.types.change import ChangeConnection, ChangeType, change_type, connection_of
from api.graphql.types.rate_limit import RateLimit, rate_limit_of
from api.graphql.types.refs import CommunityRef, EventRef, TeamRef, VolunteerRef
from api.http.errors import PublicError
from api.http.ids import decode_id
from api.http.rate_limits import ticket_of
from api.infra import rows

MAX_NODES = 100
_COMMUNITY = rows.reader_of(models.Community)


async def _node(info: Info, global_id: str) -> object | None:
    type_name, pk = decode_id(global_id)
    if type_name == "Change":
        return await change_feed.change_by_id(info.context.actor, pk)
    loader = info.context.loaders.by_type.get(type_name)
    if loader is None:
        return None
    obj = await loader.load(pk)
    if obj is None or not await may_see(info.context.actor, obj):
        return None
    return obj


@strawberry.type(
    description="Linli (邻里) reads: published events and their shifts, teams, places, the "
    "viewer's own data, and any object by its global id. Anonymous callers see public data "
    "only; personal fields are null unless the viewer may see them."
)
class Query:
    @strawberry.field(
        description="Any object by its global id; null if missing or not yours.",
        graphql_type=Node | None,
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="A global id from any `id` field.")
        ],
    ) -> object | None:
        return await _node(info, id)

    @strawberry.field(
        description="Several objects by global id, in the order asked (≤ 100).",
        graphql_type=list[Node | None],
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description="Up to 100 global ids; a null answers each one missing or not yours."
            ),
        ],
    ) -> list[object | None]:
        if len(ids) > MAX_NODES:
            raise PublicError("INVALID_INPUT", f"At most {MAX_NODES} ids at once.")
        return [await _node(info, i) for i in ids]

    @strawberry.field(
        description="The logged-in volunteer; null when anonymous.",
        graphql_type=VolunteerRef | None,
    )
    def viewer(self, info: Info) -> models.Volunteer | None:
        return info.context.actor.volunteer

    @strawberry.field(
        description="Published events, soonest first.", graphql_type=Connection[EventRef]
    )
    async def events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            EventFilter | None,
            strawberry.argument(description="Narrows the list (kinds, place, team, times, …)."),
        ] = None,
    ) -> Connection[models.Event]:
        query = filter.to_query() if filter else EventQuery()
        return await event_connection(first, after, query, info.context.actor)

    @strawberry.field(
        description="The change feed (变更记录): every create, update and delete of events, "
        "shifts, teams and communities you may see, oldest first, in commit order, behind a "
        "durable cursor; deletions stay listed for at least 30 days. See docs/api.md, "
        '"Change feed". A cursor older than that answers the error CURSOR_EXPIRED: read '
        "everything again."
    )
    async def changes(
        self,
        info: Info,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor from this feed (`endCursor` or `currentCursor`); "
                "without it, from the oldest change kept."
            ),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(description="How many changes (at most 100; 20 when not given)."),
        ] = None,
        types: Annotated[
            list[ChangeType] | None,
            strawberry.argument(description="Only changes of these kinds of objects (all: null)."),
        ] = None,
    ) -> ChangeConnection:
        size = page_size(first)
        try:
            page = await change_feed.page(
                info.context.actor,
                after=after,
                first=size,
                types=[change_type(t) for t in types] if types is not None else None,
            )
        except change_feed.FeedError as exc:
            raise PublicError(exc.code, str(exc)) from None
        return connection_of(page)

    @strawberry.field(
        description="Every volunteer team, oldest first. Public.",
        graphql_type=Connection[TeamRef],
    )
    async def teams(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[models.Team]:
        return await paginate(all_teams(), first=first, after=after)

    @strawberry.field(
        description="Every place (districts, communities, compounds), oldest first. Public.",
        graphql_type=Connection[CommunityRef],
    )
    async def communities(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[models.Community]:
        where = all_communities()
        return await paginate_rows(
            table_list(_COMMUNITY, "community", where.condition, where.values),
            first=first,
            after=after,
            with_total=wants_total(info),
        )

    @strawberry.field(
        description="The administrators (for administrators; empty for anyone else).",
        graphql_type=list[VolunteerRef],
    )
    async def admins(self, info: Info) -> list[models.Volunteer]:
        if not info.context.actor.is_admin:
            return []
        return await admin_list(info.context.actor)

    @strawberry.field(
        description="Public: whether a certificate of service hours is valid, by its number "
        "(null if there is none). Rate-limited per address."
    )
    async def verify_certificate(
        self,
        info: Info,
        number: Annotated[
            str, strawberry.argument(description="The number printed on the certificate.")
        ],
    ) -> CertificateVerification | None:
        return await verify_certificate(info, number)

    @strawberry.field(
        description="The caller's rate-limit budget this hour, with what this query cost "
        "(限流). Null when the caller is not limited (a page of this site, or limits off)."
    )
    def rate_limit(self, info: Info) -> RateLimit | None:
        request = info.context.request
        return rate_limit_of(ticket_of(request.scope) if request is not None else None)
