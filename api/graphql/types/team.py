"""Volunteer teams."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import Parent

from api import models
from api.domain import members
from api.domain.catalog import EventQuery
from api.graphql.context import Info
from api.graphql.pagination import After, Connection, First
from api.graphql.types.change import UPDATED_AT, written_at
from api.graphql.types.event import EventFilter, event_connection
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import CommunityRef, EventRef
from api.graphql.types.stats import ServiceStats, Since, Until, team_stats
from api.http.ids import encode_id


@strawberry.type(description="Someone in a team, as its members, leaders and admins see them.")
class TeamMember:
    volunteer_id: strawberry.ID = strawberry.field(description="The member's Volunteer id.")
    display_name: str = strawberry.field(description="The member's display name.")
    phone: str | None = strawberry.field(description="Only to the team's leaders and admins.")
    role: str = strawberry.field(description="LEADER, MEMBER, or PENDING (asked to join).")
    joined_at: datetime = strawberry.field(description="When they joined (or asked to).")

    @classmethod
    def of(cls, member: members.Member) -> TeamMember:
        return cls(
            volunteer_id=strawberry.ID(encode_id("Volunteer", member.volunteer_id)),
            display_name=member.display_name,
            phone=member.phone,
            role=str(member.role),
            joined_at=member.joined_at,
        )


@strawberry.type(description="A volunteer team, run by its leaders.")
class Team(Node):
    id: strawberry.ID = global_id("Team")
    name: str = strawberry.field(description="The team's name (队名).")
    description: str = strawberry.field(
        description="What the team does, by its leaders (plain text, may be empty)."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Team)

    @strawberry.field(description=UPDATED_AT)
    def updated_at(self, root: Parent[models.Team]) -> datetime:
        return written_at(root)

    @strawberry.field(
        description="The place the team belongs to; null for a team not tied to one.",
        graphql_type=CommunityRef | None,
    )
    def community(
        self, root: Parent[models.Team], info: Info
    ) -> Awaitable[models.Community | None] | None:
        if root.community_id is None:
            return None
        return info.context.loaders.community.load(root.community_id)

    @strawberry.field(
        description="Leaders and members (not pending requests); public.", graphql_type=int
    )
    def member_count(self, root: Parent[models.Team], info: Info) -> Awaitable[int]:
        return info.context.loaders.member_count.load(root.id)

    @strawberry.field(
        description="The team's published events, soonest first.",
        graphql_type=Connection[EventRef],
    )
    async def events(
        self,
        root: Parent[models.Team],
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            EventFilter | None,
            strawberry.argument(description="Narrows the events; the team is already fixed."),
        ] = None,
    ) -> Connection[models.Event]:
        query = filter.to_query() if filter else EventQuery()
        query.team_id = root.id
        return await event_connection(first, after, query, info.context.actor)

    @strawberry.field(description="Whether joining needs a leader's approval.")
    def join_approval(self, root: Parent[models.Team]) -> bool:
        return bool(root.join_approval)

    @strawberry.field(
        description="Leaders first, then members (for the team's members, leaders and "
        "admins; empty for anyone else); phones only to leaders and admins."
    )
    async def members(self, root: Parent[models.Team], info: Info) -> list[TeamMember]:
        if info.context.actor.volunteer is None:
            return []
        return [TeamMember.of(m) for m in await members.members(info.context.actor, root.id)]

    @strawberry.field(description="Who asked to join and waits for approval (leaders, admins).")
    async def pending_members(self, root: Parent[models.Team], info: Info) -> list[TeamMember]:
        if not await info.context.actor.leads(root.id):
            return []
        found = await members.members(info.context.actor, root.id, pending=True)
        return [TeamMember.of(m) for m in found]

    @strawberry.field(description="Whether the viewer leads this team (admins: true).")
    async def viewer_is_leader(self, root: Parent[models.Team], info: Info) -> bool:
        return await info.context.actor.leads(root.id)

    @strawberry.field(
        description="The team's figures (events held, volunteers, hours, attendance) for its "
        "leaders and admins; null for everyone else. `since`/`until` bound the events' start."
    )
    async def stats(
        self,
        root: Parent[models.Team],
        info: Info,
        since: Since = None,
        until: Until = None,
    ) -> ServiceStats | None:
        return await team_stats(info, root.id, since, until)
