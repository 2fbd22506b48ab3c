"""In-app notifications: what a volunteer was told."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Parent
from tortoise.expressions import RawSQL

from api import models
from api.domain import notifications
from api.graphql.context import Info
from api.graphql.pagination import Connection, empty_connection, paginate, wants_total
from api.graphql.types.enums import NotificationKind
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import EventRef
from api.infra.i18n import render_stored


@strawberry.type(description="Something the volunteer was told: a promotion, a change, a reminder.")
class Notification(Node):
    id: strawberry.ID = global_id("Notification")
    kind: NotificationKind = strawberry.field(description="Why the volunteer was notified.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    read_at: datetime | None = strawberry.field(
        description="When it was marked read (markNotificationsRead); null while unread."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Notification)

    @strawberry.field(
        description="The text, in the language asked for (Accept-Language), else the "
        "volunteer's own."
    )
    def message(self, root: Parent[models.Notification], info: Info) -> str:
        # Stored as a message id with parameters: in the language asked for, else the
        # recipient's (only the recipient sees it).
        volunteer = info.context.actor.volunteer
        language = info.context.language or (volunteer.language if volunteer else None)
        return render_stored(root.message, language)

    @strawberry.field(description="The event it is about, if any.", graphql_type=EventRef | None)
    async def event(self, root: Parent[models.Notification], info: Info) -> models.Event | None:
        if root.event_id is None:
            return None
        event = await info.context.loaders.event.load(root.event_id)
        if event is None or not await info.context.actor.may_see_event(event):
            return None
        return event


async def notifications_of(
    info: Info, volunteer_id: int, first: int | None, after: str | None, unread_only: bool
) -> Connection[models.Notification]:
    """A page of the volunteer's own notifications, newest first; empty for anyone else."""
    queryset = notifications.listing(info.context.actor, volunteer_id, unread_only)
    if queryset is None:
        return empty_connection()
    queryset = queryset.annotate(newest=RawSQL('-"notification"."id"'))
    # The event each one is about comes in the same statement.
    page: Connection[models.Notification] = await paginate(
        queryset.select_related("event"),
        first=first,
        after=after,
        order=(("newest", int),),
        with_total=wants_total(info),
    )
    for edge in page.edges:
        if edge.node.event_id is not None:
            info.context.loaders.event.prime(edge.node.event_id, edge.node.event)
    return page
