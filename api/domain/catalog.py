"""Which events and places a caller may list, and how the event filter narrows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from api.domain.actors import Actor
from api.domain.errors import Validator
from api.infra import clock, rows
from api.infra.i18n import N_
from api.models import Community, EventKind, EventStatus, TeamRole

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


def published_events(query: EventQuery, actor: Actor | None = None) -> Where:
    """Published events matching `query` (or those of `query.statuses`). Without a time bound
    (startsAfter, startsBefore or updatedSince), events that have already ended are left out
    (the list is "what is coming up").

    An SQL condition on the table `"event"` and its values: the lists read their pages with a
    statement written once per shape (`api.infra.rows`)."""
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
    where = _with_status(query.statuses, actor)
    if query.starts_after is None and query.starts_before is None and query.updated_since is None:
        where.add('"event"."ends_at" > ?', clock.now())
    if query.updated_since is not None:
        since = clock.utc(query.updated_since)
        where.add(
            '("event"."updated_at" >= ? OR "event"."id" IN'
            ' (SELECT "event_id" FROM "shift" WHERE "updated_at" >= ?))',
            since,
            since,
        )
    if query.starts_after is not None:
        where.add('"event"."starts_at" >= ?', clock.utc(query.starts_after))
    if query.starts_before is not None:
        where.add('"event"."starts_at" < ?', clock.utc(query.starts_before))
    if query.kinds:
        kinds = [EventKind(k).value for k in query.kinds]
        where.add(f'"event"."kind" IN ({rows.marks(len(kinds))})', *kinds)
    if query.community_id is not None:
        where.add(f'"event"."community_id" IN ({_SUBTREE})', *(query.community_id,) * 3)
    if query.team_id is not None:
        where.add('"event"."team_id" = ?', query.team_id)
    if query.has_open_seats is not None:
        where.add(
            f'"event"."id" {"" if query.has_open_seats else "NOT "}IN'
            ' (SELECT "event_id" FROM "shift" WHERE "seats_taken" < "capacity")'
        )
    if search:
        # Case-insensitive, the words taken literally (% and _ escaped).
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        like = " LIKE UPPER(?) ESCAPE '\\'"
        where.add(
            "("
            + " OR ".join(
                f'UPPER(CAST("event"."{column}" AS VARCHAR)){like}'
                for column in ("title", "location_name", "description")
            )
            + ")",
            pattern,
            pattern,
            pattern,
        )
    return where


def _subtree_ids(community_id: int) -> Any:
    """The community and up to two levels below it (district → community → compound); the
    same rule as `_SUBTREE`, as a subquery for the ORM (`api.domain.stats`)."""
    return Community.filter(
        Q(id=community_id) | Q(parent_id=community_id) | Q(parent__parent_id=community_id)
    ).values("id")


# `_subtree_ids` in SQL: its three values are the community's id.
_SUBTREE = (
    'SELECT "c"."id" FROM "community" "c"'
    ' LEFT OUTER JOIN "community" "p" ON "p"."id" = "c"."parent_id"'
    ' WHERE "c"."id" = ? OR "c"."parent_id" = ? OR "p"."parent_id" = ?'
)


class Where:
    """An SQL condition (conjuncts joined with AND) and its values, in order."""

    __slots__ = ("parts", "values")

    def __init__(self, condition: str, *values: Any) -> None:
        self.parts = [condition]
        self.values: list[Any] = list(values)

    def add(self, condition: str, *values: Any) -> None:
        self.parts.append(condition)
        self.values += values

    @property
    def condition(self) -> str:
        return " AND ".join(self.parts)


def _with_status(statuses: list[EventStatus] | None, actor: Actor | None) -> Where:
    """Events of these statuses the actor may list: drafts only of the teams they lead
    (admins: all), nothing else private."""
    wanted = set(statuses) if statuses else {EventStatus.PUBLISHED}
    public = [s.value for s in sorted(wanted - {EventStatus.DRAFT})]
    condition = f'"event"."status" IN ({rows.marks(len(public))})' if public else '"event"."id" < 0'
    values: list[Any] = list(public)
    if EventStatus.DRAFT in wanted and actor is not None and actor.volunteer is not None:
        if actor.is_admin:
            condition = f'({condition} OR "event"."status" = ?)'
            values.append(EventStatus.DRAFT.value)
        else:
            condition = f'({condition} OR ("event"."status" = ? AND {_LED_TEAMS}))'
            values += [EventStatus.DRAFT.value, actor.volunteer.id, TeamRole.LEADER.value]
    return Where(condition, *values)


# The teams the actor leads, in the same statement (no query of its own).
_LED_TEAMS = (
    '"event"."team_id" IN (SELECT "team_id" FROM "team_membership"'
    ' WHERE "volunteer_id" = ? AND "role" = ?)'
)


def series_events(actor: Actor, series_id: int) -> Where:
    """The events of a series a caller may list: the published ones for everyone, and the
    drafts too for the leaders of the series' team and admins (a condition on `"event"`)."""
    where = Where('"event"."series_id" = ?', series_id)
    if actor.volunteer is None:
        where.add('"event"."status" = ?', EventStatus.PUBLISHED.value)
    elif actor.is_admin:
        where.add('"event"."status" IN (?,?)', EventStatus.PUBLISHED.value, EventStatus.DRAFT.value)
    else:
        where.add(
            f'("event"."status" = ? OR ("event"."status" = ? AND {_LED_TEAMS}))',
            EventStatus.PUBLISHED.value,
            EventStatus.DRAFT.value,
            actor.volunteer.id,
            TeamRole.LEADER.value,
        )
    return where


def all_communities() -> Where:
    """Every place (district, community, compound): the list of places is public."""
    return Where("1 = 1")
