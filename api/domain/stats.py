"""What the work adds up to: events held, volunteers mobilized, hours served, attendance.

Figures cover events *held*: published or completed events that have started (cancelled ones
and drafts do not count), optionally within ``[since, until)``. Months are calendar months in
Asia/Shanghai. Rates are shares of the seats taken on those events' shifts: attended, no-show,
and (the rest) not yet recorded. Hours are the hours ledger's sums.

Who may see them: a team's figures, its leaders and admins; a community's (its whole
subtree: the community and the places below it), admins only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from api.domain import appointments
from api.domain.actors import Actor
from api.domain.catalog import _subtree_ids as subtree_ids
from api.domain.errors import DomainError, ErrorCode
from api.domain.signups import SEAT_HOLDING
from api.infra import clock
from api.models import (
    Community,
    Event,
    EventKind,
    EventStatus,
    HoursEntry,
    Signup,
    SignupStatus,
    Team,
    Volunteer,
)
from api.settings import SHANGHAI

HELD = (EventStatus.PUBLISHED, EventStatus.COMPLETED)
BUSIEST = 10


@dataclass(frozen=True)
class KindCount:
    kind: EventKind
    count: int


@dataclass(frozen=True)
class MonthCount:
    month: str  # "2026-03" (Asia/Shanghai)
    count: int


@dataclass(frozen=True)
class VolunteerHours:
    volunteer_id: int
    display_name: str
    hours: float
    shifts: int


@dataclass
class Stats:
    events_held: int = 0
    events_by_kind: list[KindCount] = field(default_factory=list)
    events_by_month: list[MonthCount] = field(default_factory=list)
    volunteers_mobilized: int = 0
    hours_served: float = 0.0
    seats_taken: int = 0
    attended: int = 0
    no_shows: int = 0
    busiest_volunteers: list[VolunteerHours] = field(default_factory=list)
    # Residents served at appointments (义剪, 义诊…), by the event's kind and by compound.
    residents_served: int = 0
    served_by_kind: list[KindCount] = field(default_factory=list)
    served_by_place: list[appointments.PlaceCount] = field(default_factory=list)

    @property
    def attendance_rate(self) -> float | None:
        return round(self.attended / self.seats_taken, 4) if self.seats_taken else None

    @property
    def no_show_rate(self) -> float | None:
        return round(self.no_shows / self.seats_taken, 4) if self.seats_taken else None


async def may_see_team_stats(actor: Actor, team_id: int) -> bool:
    return actor.volunteer is not None and await actor.leads(team_id)


def may_see_community_stats(actor: Actor) -> bool:
    return actor.is_admin


async def team_stats(
    actor: Actor, team_id: int, since: datetime | None = None, until: datetime | None = None
) -> Stats:
    return (await team_with_stats(actor, team_id, since, until))[1]


async def team_with_stats(
    actor: Actor, team_id: int, since: datetime | None = None, until: datetime | None = None
) -> tuple[Team, Stats]:
    """A team and its figures (a team dashboard): for its leaders and admins."""
    actor.require_volunteer()
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such team.", ["teamId"])
    if not await may_see_team_stats(actor, team_id):
        raise DomainError(ErrorCode.FORBIDDEN, "Only this team's leaders may see its figures.")
    return team, await compute(Q(team_id=team_id), since, until)


async def community_stats(
    actor: Actor, community_id: int, since: datetime | None = None, until: datetime | None = None
) -> Stats:
    return (await community_with_stats(actor, community_id, since, until))[1]


async def community_with_stats(
    actor: Actor, community_id: int, since: datetime | None = None, until: datetime | None = None
) -> tuple[Community, Stats]:
    """A community and the figures of its whole subtree (a community dashboard): admins only."""
    actor.require_admin()
    community = await Community.get_or_none(id=community_id)
    if community is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such community.", ["communityId"])
    places = Subquery(subtree_ids(community_id))
    where = Q(community_id__in=places) | Q(
        community_id__isnull=True, team__community_id__in=Subquery(subtree_ids(community_id))
    )
    return community, await compute(where, since, until)


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; the ends of the calendar (0001-01-01 in +08:00) stay at the ends."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )


async def compute(where: Q, since: datetime | None, until: datetime | None) -> Stats:
    """The figures, aggregated in the database in a constant number of queries: what comes
    back to Python is the held events' kinds and start times, a count per sign-up status, and
    one row per volunteer (never one per sign-up or ledger entry)."""
    now = clock.now()
    query = Event.filter(where, status__in=HELD, starts_at__lte=now)
    if since is not None:
        query = query.filter(starts_at__gte=_utc(since))
    if until is not None:
        query = query.filter(starts_at__lt=_utc(until))
    held = await query.values_list("kind", "starts_at")
    stats = Stats(events_held=len(held))
    if not held:
        return stats
    kinds = Counter(EventKind(kind) for kind, _ in held)
    stats.events_by_kind = [KindCount(k, n) for k, n in kinds.most_common()]
    months = Counter(starts.astimezone(SHANGHAI).strftime("%Y-%m") for _, starts in held)
    stats.events_by_month = [MonthCount(m, months[m]) for m in sorted(months)]

    seats = Signup.filter(shift__event_id__in=Subquery(query.values("id")), status__in=SEAT_HOLDING)
    statuses = dict(
        await seats.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    )
    stats.seats_taken = sum(int(n) for n in statuses.values())
    stats.attended = int(statuses.get(SignupStatus.ATTENDED, 0))
    stats.no_shows = int(statuses.get(SignupStatus.NO_SHOW, 0))
    mobilized = await (
        seats.filter(status=SignupStatus.ATTENDED).distinct().values_list("volunteer_id")
    )
    stats.volunteers_mobilized = len(mobilized)

    # Per volunteer (Tortoise groups an ungrouped aggregate by every column, so the total is
    # summed from these rows: one per volunteer, not per ledger entry).
    per_volunteer = await (
        HoursEntry.filter(signup__shift__event_id__in=Subquery(query.values("id")))
        .annotate(total=Sum("centihours"), shifts=Count("signup_id", distinct=True))
        .group_by("volunteer_id")
        .values_list("volunteer_id", "total", "shifts")
    )
    stats.hours_served = sum(int(c or 0) for _, c, _ in per_volunteer) / 100
    top = sorted(
        ((int(v), int(c), int(n)) for v, c, n in per_volunteer if c and c > 0),
        key=lambda row: (-row[1], row[0]),
    )[:BUSIEST]
    names = dict(
        await Volunteer.filter(id__in=[v for v, _, _ in top]).values_list("id", "display_name")
    )
    stats.busiest_volunteers = [VolunteerHours(v, names.get(v, ""), c / 100, n) for v, c, n in top]
    served = await appointments.served_counts(Subquery(query.values("id")))
    stats.residents_served = sum(n for _, _, n in served)
    by_kind: Counter[EventKind] = Counter()
    by_place: Counter[str] = Counter()
    for kind, place, n in served:
        by_kind[EventKind(kind)] += n
        by_place[place] += n
    stats.served_by_kind = [KindCount(k, n) for k, n in by_kind.most_common()]
    stats.served_by_place = [appointments.PlaceCount(p, n) for p, n in by_place.most_common()]
    return stats


def as_rows(stats: Stats) -> list[list[str]]:
    """The figures as CSV rows: section, key, value."""
    rows = [
        ["section", "key", "value"],
        ["summary", "events_held", str(stats.events_held)],
        ["summary", "volunteers_mobilized", str(stats.volunteers_mobilized)],
        ["summary", "hours_served", f"{stats.hours_served:g}"],
        ["summary", "seats_taken", str(stats.seats_taken)],
        ["summary", "attendance_rate", _rate(stats.attendance_rate)],
        ["summary", "no_show_rate", _rate(stats.no_show_rate)],
    ]
    rows += [["events_by_kind", str(k.kind), str(k.count)] for k in stats.events_by_kind]
    rows += [["events_by_month", m.month, str(m.count)] for m in stats.events_by_month]
    rows += [
        ["busiest_volunteers", b.display_name, f"{b.hours:g}"] for b in stats.busiest_volunteers
    ]
    rows += [["summary", "residents_served", str(stats.residents_served)]]
    rows += [["residents_served_by_kind", str(k.kind), str(k.count)] for k in stats.served_by_kind]
    rows += [["residents_served_by_place", p.place, str(p.count)] for p in stats.served_by_place]
    return rows


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"
