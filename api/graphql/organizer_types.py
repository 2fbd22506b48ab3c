"""Types of the organizer tools: notifications and the figures behind the dashboard."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Parent
from tortoise.expressions import F

from api import models
from api.domain import notifications
from api.domain import stats as domain_stats
from api.graphql.context import Info
from api.graphql.pagination import Connection, empty_connection, paginate
from api.graphql.types import Event, EventKind, Node, NotificationKind, Volunteer, _gid
from api.infra.i18n import render_stored


@strawberry.type(description="Something the volunteer was told: a promotion, a change, a reminder.")
class Notification(Node):
    id: strawberry.ID = _gid("Notification")
    kind: NotificationKind  # type: ignore[valid-type]
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Notification)

    @strawberry.field
    def message(self, root: Parent[models.Notification], info: Info) -> str:
        # Stored as a message id with parameters: in the language asked for, else the
        # recipient's (only the recipient sees it).
        volunteer = info.context.actor.volunteer
        language = info.context.language or (volunteer.language if volunteer else None)
        return render_stored(root.message, language)

    @strawberry.field(description="The event it is about, if any.")
    async def event(self, root: Parent[models.Notification], info: Info) -> Event | None:
        if root.event_id is None:
            return None
        event = await info.context.loaders.event.load(root.event_id)
        if event is None or not await info.context.actor.may_see_event(event):
            return None
        return event  # type: ignore[return-value]


@strawberry.type
class EventKindCount:
    kind: EventKind  # type: ignore[valid-type]
    count: int


@strawberry.type
class MonthCount:
    month: str = strawberry.field(description='A calendar month in Asia/Shanghai, "2026-03".')
    count: int


@strawberry.type
class VolunteerHours:
    display_name: str
    hours: float
    shifts: int = strawberry.field(description="Sign-ups credited with hours.")
    volunteer_id: strawberry.Private[int]

    @strawberry.field
    async def volunteer(self, info: Info) -> Volunteer | None:
        return await info.context.loaders.volunteer.load(self.volunteer_id)  # type: ignore[return-value]


@strawberry.type(
    description="What a team or a community achieved: events held (published or completed, "
    "already started), volunteers who attended, hours from the ledger, and rates over the "
    "seats taken on those events."
)
class ServiceStats:
    events_held: int
    events_by_kind: list[EventKindCount]
    events_by_month: list[MonthCount]
    volunteers_mobilized: int = strawberry.field(description="Distinct volunteers who attended.")
    hours_served: float
    seats_taken: int
    attendance_rate: float | None = strawberry.field(description="Attended / seats taken.")
    no_show_rate: float | None = strawberry.field(description="No-shows / seats taken.")
    busiest_volunteers: list[VolunteerHours] = strawberry.field(description="Top 10 by hours.")

    @classmethod
    def of(cls, figures: domain_stats.Stats) -> ServiceStats:
        return cls(
            events_held=figures.events_held,
            events_by_kind=[
                EventKindCount(kind=k.kind, count=k.count) for k in figures.events_by_kind
            ],
            events_by_month=[
                MonthCount(month=m.month, count=m.count) for m in figures.events_by_month
            ],
            volunteers_mobilized=figures.volunteers_mobilized,
            hours_served=figures.hours_served,
            seats_taken=figures.seats_taken,
            attendance_rate=figures.attendance_rate,
            no_show_rate=figures.no_show_rate,
            busiest_volunteers=[
                VolunteerHours(
                    display_name=b.display_name,
                    hours=b.hours,
                    shifts=b.shifts,
                    volunteer_id=b.volunteer_id,
                )
                for b in figures.busiest_volunteers
            ],
        )


async def notifications_of(
    root: models.Volunteer, info: Info, first: int | None, after: str | None, unread_only: bool
) -> Connection[Notification]:
    """The volunteer's own notifications, newest first; empty for anyone else."""
    queryset = notifications.listing(info.context.actor, root.id, unread_only)
    if queryset is None:
        return empty_connection()
    queryset = queryset.annotate(newest=F("id") * -1)
    return await paginate(queryset, first=first, after=after, order=(("newest", int),))


async def team_stats(
    root: models.Team, info: Info, since: datetime | None, until: datetime | None
) -> ServiceStats | None:
    if not await domain_stats.may_see_team_stats(info.context.actor, root.id):
        return None
    return ServiceStats.of(await domain_stats.team_stats(info.context.actor, root.id, since, until))


async def community_stats(
    root: models.Community, info: Info, since: datetime | None, until: datetime | None
) -> ServiceStats | None:
    if not domain_stats.may_see_community_stats(info.context.actor):
        return None
    return ServiceStats.of(
        await domain_stats.community_stats(info.context.actor, root.id, since, until)
    )
