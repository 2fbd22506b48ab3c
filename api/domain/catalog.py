"""Which events and places a caller may list, and how the event filter narrows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from api.domain.actors import Actor
from api.domain.errors import Validator
from api.infra import clock
from api.infra.i18n import N_
from api.models import Community, Event, EventKind, EventStatus, Shift, TeamMembership, TeamRole

SEARCH_MAX = 100


@dataclass
class EventQuery:
    kinds: list[EventKind] | None = None
    community_id: int | None = None
    team_id: int | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    has_open_seats: bool | None = None
    search: str | None = None
    #: Events (or one of their shifts) changed at or after this time.
    updated_since: datetime | None = None
    #: None: published events only. DRAFT lists the drafts the actor may see (their team's
    #: leaders, admins); the other statuses are public.
    statuses: list[EventStatus] | None = None


def published_events(query: EventQuery, actor: Actor | None = None) -> QuerySet[Event]:
    """Published events matching `query` (or those of `query.statuses`). Without a time bound
    (startsAfter, startsBefore or updatedSince), events that have already ended are left out
    (the list is "what is coming up")."""
    v = Validator()
    for name, value in (
        ("startsAfter", query.starts_after),
        ("startsBefore", query.starts_before),
        ("updatedSince", query.updated_since),
    ):
        if value is not None and value.tzinfo is None:
            v.fail(N_("Times need a UTC offset."), "filter", name)
    search = (
        v.text(
            query.search,
            "filter",
            "search",
            max_length=SEARCH_MAX,
            required=False,
            label=N_("Search"),
        )
        or ""
    )
    v.raise_if_any()
    qs = Event.filter(_with_status(query.statuses, actor))
    if query.starts_after is None and query.starts_before is None and query.updated_since is None:
        qs = qs.filter(ends_at__gt=clock.now())
    if query.updated_since is not None:
        since = clock.utc(query.updated_since)
        changed_shifts = Shift.filter(updated_at__gte=since).values("event_id")
        qs = qs.filter(Q(updated_at__gte=since) | Q(id__in=Subquery(changed_shifts)))
    if query.starts_after is not None:
        qs = qs.filter(starts_at__gte=clock.utc(query.starts_after))
    if query.starts_before is not None:
        qs = qs.filter(starts_at__lt=clock.utc(query.starts_before))
    if query.kinds:
        qs = qs.filter(kind__in=list(query.kinds))
    if query.community_id is not None:
        qs = qs.filter(community_id__in=Subquery(_subtree_ids(query.community_id)))
    if query.team_id is not None:
        qs = qs.filter(team_id=query.team_id)
    if query.has_open_seats is not None:
        open_events = Shift.filter(seats_taken__lt=F("capacity")).values("event_id")
        if query.has_open_seats:
            qs = qs.filter(id__in=Subquery(open_events))
        else:
            qs = qs.exclude(id__in=Subquery(open_events))
    if search:
        qs = qs.filter(
            Q(title__icontains=search)
            | Q(location_name__icontains=search)
            | Q(description__icontains=search)
        )
    return qs


def _with_status(statuses: list[EventStatus] | None, actor: Actor | None) -> Q:
    """Events of these statuses the actor may list: drafts only of the teams they lead
    (admins: all), nothing else private."""
    wanted = set(statuses) if statuses else {EventStatus.PUBLISHED}
    public = sorted(wanted - {EventStatus.DRAFT})
    condition = Q(status__in=public) if public else Q(id__lt=0)
    if EventStatus.DRAFT in wanted and actor is not None and actor.volunteer is not None:
        if actor.is_admin:
            condition |= Q(status=EventStatus.DRAFT)
        else:
            led = TeamMembership.filter(volunteer_id=actor.volunteer.id, role=TeamRole.LEADER)
            condition |= Q(status=EventStatus.DRAFT, team_id__in=Subquery(led.values("team_id")))
    return condition


def series_events(actor: Actor, series_id: int) -> QuerySet[Event]:
    """The events of a series a caller may list: the published ones for everyone, and the
    drafts too for the leaders of the series' team and admins."""
    qs = Event.filter(series_id=series_id)
    if actor.volunteer is None:
        return qs.filter(status=EventStatus.PUBLISHED)
    if actor.is_admin:
        return qs.filter(status__in=[EventStatus.PUBLISHED, EventStatus.DRAFT])
    # The teams the actor leads, in the same statement (no query of its own).
    led = TeamMembership.filter(volunteer_id=actor.volunteer.id, role=TeamRole.LEADER)
    return qs.filter(
        Q(status=EventStatus.PUBLISHED)
        | Q(status=EventStatus.DRAFT, team_id__in=Subquery(led.values("team_id")))
    )


def all_communities() -> QuerySet[Community]:
    """Every place (district, community, compound): the list of places is public."""
    return Community.all()


def _subtree_ids(community_id: int) -> Any:
    """The community and up to two levels below it (district → community → compound)."""
    return Community.filter(
        Q(id=community_id) | Q(parent_id=community_id) | Q(parent__parent_id=community_id)
    ).values("id")
