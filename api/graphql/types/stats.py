"""The figures behind the organizers' dashboard: what a team or a community achieved."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api import models
from api.domain import stats as domain_stats
from api.graphql.context import Info
from api.graphql.types.enums import EventKind
from api.graphql.types.refs import VolunteerRef

# The period arguments of `stats` (Team.stats, Community.stats), described once.
Since = Annotated[
    datetime | None,
    strawberry.argument(description="Count events starting at or after this time; all when null."),
]
Until = Annotated[
    datetime | None,
    strawberry.argument(description="Count events starting before this time; up to now when null."),
]


@strawberry.type(description="A count per kind of event.")
class EventKindCount:
    kind: EventKind = strawberry.field(description="The kind of event.")
    count: int = strawberry.field(description="How many, for this kind.")


@strawberry.type(description="A count per place.")
class PlaceCount:
    place: str = strawberry.field(
        description="The resident's compound, else the event's place; empty when unknown."
    )
    count: int = strawberry.field(description="How many, for this place.")


@strawberry.type(description="A count per calendar month.")
class MonthCount:
    month: str = strawberry.field(description='A calendar month in Asia/Shanghai, "2026-03".')
    count: int = strawberry.field(description="How many, in this month.")


@strawberry.type(description="A volunteer's service hours (服务时长) in the period.")
class VolunteerHours:
    display_name: str = strawberry.field(description="The volunteer's display name.")
    hours: float = strawberry.field(description="Hours credited in the period.")
    shifts: int = strawberry.field(description="Sign-ups credited with hours.")
    volunteer_id: strawberry.Private[int]

    @strawberry.field(
        description="The volunteer; null if the account no longer exists.",
        graphql_type=VolunteerRef | None,
    )
    async def volunteer(self, info: Info) -> models.Volunteer | None:
        return await info.context.loaders.volunteer.load(self.volunteer_id)


@strawberry.type(
    description="What a team or a community achieved: events held (published or completed, "
    "already started), volunteers who attended, hours from the ledger, and rates over the "
    "seats taken on those events."
)
class ServiceStats:
    events_held: int = strawberry.field(
        description="Events held: published or completed, already started, in the period."
    )
    events_by_kind: list[EventKindCount] = strawberry.field(
        description="Events held, per kind, largest first."
    )
    events_by_month: list[MonthCount] = strawberry.field(
        description="Events held, per month (Asia/Shanghai), oldest first."
    )
    volunteers_mobilized: int = strawberry.field(description="Distinct volunteers who attended.")
    hours_served: float = strawberry.field(description="Service hours credited (hours).")
    seats_taken: int = strawberry.field(
        description="Sign-ups that held a seat on those events (the base of the rates)."
    )
    attendance_rate: float | None = strawberry.field(description="Attended / seats taken.")
    no_show_rate: float | None = strawberry.field(description="No-shows / seats taken.")
    busiest_volunteers: list[VolunteerHours] = strawberry.field(description="Top 10 by hours.")
    residents_served: int = strawberry.field(
        description="Residents marked served at appointments (the event's kind and place below)."
    )
    residents_served_by_kind: list[EventKindCount] = strawberry.field(
        description="Residents served, per kind of event."
    )
    residents_served_by_place: list[PlaceCount] = strawberry.field(
        description="Residents served, per place."
    )

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
            residents_served=figures.residents_served,
            residents_served_by_kind=[
                EventKindCount(kind=k.kind, count=k.count) for k in figures.served_by_kind
            ],
            residents_served_by_place=[
                PlaceCount(place=p.place, count=p.count) for p in figures.served_by_place
            ],
        )


async def team_stats(
    info: Info, team_id: int, since: datetime | None, until: datetime | None
) -> ServiceStats | None:
    """A team's figures for its leaders and admins; None for everyone else."""
    actor = info.context.actor
    if not await domain_stats.may_see_team_stats(actor, team_id):
        return None
    return ServiceStats.of(await domain_stats.team_stats(actor, team_id, since, until))


async def community_stats(
    info: Info, community_id: int, since: datetime | None, until: datetime | None
) -> ServiceStats | None:
    """A place's figures (with the places below it) for admins; None for everyone else."""
    actor = info.context.actor
    if not domain_stats.may_see_community_stats(actor):
        return None
    return ServiceStats.of(await domain_stats.community_stats(actor, community_id, since, until))
