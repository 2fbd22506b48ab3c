"""Per-volunteer service hours for a period, with each ledger line's provenance (who recorded
it, how, when): the admin console's report, and a team leader's for their team."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, InvalidInput
from api.infra import clock
from api.models import HoursEntry, HoursMethod
from api.settings import SHANGHAI

MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class LedgerLine:
    service_date: date  # the shift's day, Asia/Shanghai
    event_title: str
    role: str
    hours: float
    method: HoursMethod
    recorded_by: str | None
    recorded_at: datetime
    note: str


@dataclass
class VolunteerHours:
    volunteer_id: int
    name: str
    phone: str
    hours: float = 0.0
    lines: list[LedgerLine] = field(default_factory=list)


async def hours_report(
    actor: Actor, start: date, end: date, team_id: int | None = None
) -> list[VolunteerHours]:
    """Hours credited for shifts from `start` to `end` (inclusive, Asia/Shanghai days).
    Admins see everyone (or one team); a leader only their team."""
    actor.require_volunteer()
    if end < start or (end - start).days > MAX_DAYS:
        raise InvalidInput("Choose a period of at most two years, its end after its start.", ["to"])
    if team_id is None:
        actor.require_admin()
    elif not await actor.leads(team_id):
        raise DomainError(ErrorCode.FORBIDDEN, "Only this team's leaders may see its hours.")
    since = clock.utc(datetime.combine(start, time(), SHANGHAI))
    until = clock.utc(datetime.combine(end + timedelta(days=1), time(), SHANGHAI))
    entries = HoursEntry.filter(
        signup__shift__starts_at__gte=since, signup__shift__starts_at__lt=until
    )
    if team_id is not None:
        entries = entries.filter(signup__shift__event__team_id=team_id)
    rows = await entries.select_related(
        "volunteer", "recorded_by", "signup__shift__event"
    ).order_by("volunteer_id", "signup__shift__starts_at", "id")
    report: dict[int, VolunteerHours] = {}
    totals: dict[int, int] = defaultdict(int)
    for entry in rows:
        person = report.setdefault(
            entry.volunteer_id,
            VolunteerHours(entry.volunteer_id, entry.volunteer.display_name, entry.volunteer.phone),
        )
        shift = entry.signup.shift
        totals[entry.volunteer_id] += entry.centihours
        person.lines.append(
            LedgerLine(
                service_date=shift.starts_at.astimezone(SHANGHAI).date(),
                event_title=shift.event.title,
                role=shift.role,
                hours=entry.centihours / 100,
                method=HoursMethod(entry.method),
                recorded_by=entry.recorded_by.display_name if entry.recorded_by else None,
                recorded_at=entry.created_at,
                note=entry.note,
            )
        )
    for volunteer_id, person in report.items():
        person.hours = totals[volunteer_id] / 100
    return sorted(report.values(), key=lambda p: (-p.hours, p.name))
