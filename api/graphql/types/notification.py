"""In-app notifications: what a volunteer was told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry import Parent

from api import models
from api.domain import notifications
from api.graphql.context import Info
from api.graphql.pagination import (
    Connection,
    RowList,
    empty_connection,
    paginate_rows,
    wants_total,
)
from api.graphql.types.enums import NotificationKind
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import EventRef
from api.infra import rows
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
    where = notifications.listing(info.context.actor, volunteer_id, unread_only)
    if where is None:
        return empty_connection()
    # The event each one is about comes in the same statement; newest first (`newest`: the
    # cursor's key, minus the id).
    notification, event = _NOTIFICATION.converter(), _EVENT.converter()
    joined = len(_NOTIFICATION.names)
    event_id = joined + _EVENT.names.index("id")

    def build(row: Sequence[Any]) -> models.Notification:
        made = notification(row)
        made.__dict__["newest"] = -made.id
        made.__dict__["_event"] = None if row[event_id] is None else event(row, joined)
        return made

    page: Connection[models.Notification] = await paginate_rows(
        RowList(
            columns=f"{_NOTIFICATION.columns('notification')},"
            f"{_EVENT.columns('notification__event')}",
            source='"notification" LEFT OUTER JOIN "event" "notification__event"'
            ' ON "notification__event"."id" = "notification"."event_id"',
            condition=where[0],
            values=where[1],
            order=[('-"notification"."id"', "newest", int)],
            build=build,
        ),
        first=first,
        after=after,
        with_total=wants_total(info),
    )
    for edge in page.edges:
        if edge.node.event_id is not None:
            info.context.loaders.event.prime(edge.node.event_id, edge.node.event)
    return page


_NOTIFICATION = rows.reader_of(models.Notification)
_EVENT = rows.reader_of(models.Event)
