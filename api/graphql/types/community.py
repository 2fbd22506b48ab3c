"""Places: districts (towns, sub-districts), communities and compounds."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.graphql.context import Info
from api.graphql.types.change import UPDATED_AT, written_at
from api.graphql.types.enums import CommunityLevel
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import CommunityRef
from api.graphql.types.stats import ServiceStats, Since, Until, community_stats


@strawberry.type(description="A place: a district (town, sub-district), community or compound.")
class Community(Node):
    id: strawberry.ID = global_id("Community")
    name: str = strawberry.field(description='Its name, e.g. "幸福里社区".')
    level: CommunityLevel = strawberry.field(
        description="District (街道), community (社区) or compound (小区)."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Community)

    @strawberry.field(description=UPDATED_AT)
    def updated_at(self, root: Parent[models.Community]) -> datetime:
        return written_at(root)

    @strawberry.field(
        description="The place it lies in (a compound's community, a community's district); "
        "null at the top.",
        graphql_type=CommunityRef | None,
    )
    def parent(
        self, root: Parent[models.Community], info: Info
    ) -> Awaitable[models.Community | None] | None:
        if root.parent_id is None:
            return None
        return info.context.loaders.community.load(root.parent_id)

    @strawberry.field(
        description="Figures of every team's events in this place and the places below it; "
        "admins only (null for everyone else)."
    )
    async def stats(
        self,
        root: Parent[models.Community],
        info: Info,
        since: Since = None,
        until: Until = None,
    ) -> ServiceStats | None:
        return await community_stats(info, root.id, since, until)
