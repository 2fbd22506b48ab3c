"""Certificates of service hours (志愿服务记录证明), after the Ministry of Civil Affairs'
measures on volunteer service records: the volunteer's name and (masked) phone, the issuing
organisation (team and community), each service with its date, event, role and hours, the
total, a number and the issue date.

- **Who issues**: a volunteer for themself, a leader for a member of a team they lead (the
  certificate then covers that team's events only, the team issues it), an admin for anyone.
- **Figures** come from the hours ledger: ATTENDED sign-ups of shifts in the period (Asia/
  Shanghai days) with the sum of their `HoursEntry` rows. They are copied into the
  certificate (a snapshot), so a certificate stays as issued whatever the ledger says later.
- **Numbers** are public and unguessable (`LL-<year>-` + 16 random base32 characters, 80 bits);
  anyone may verify one (`verify`), rate-limited per address; the answer names the volunteer
  only masked (张*芳) and tells nothing else personal.
- **Revoking** (the issuing team's leaders, admins) keeps the row: it verifies as revoked.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from api.domain import throttle
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, InvalidInput, Validator
from api.infra import clock, pdf
from api.infra.i18n import N_
from api.models import (
    Certificate,
    Community,
    HoursEntry,
    SignupStatus,
    Team,
    TeamMembership,
    TeamRole,
    Volunteer,
)
from api.settings import SHANGHAI, get_settings

#: The longest period one certificate covers.
MAX_DAYS = 366 * 5
#: Issuing is cheap to ask and costly to answer (a PDF each): per issuer and hour.
ISSUES_PER_HOUR = 20
#: Public verification, per address: enough for a school checking a class, not for guessing.
VERIFICATIONS_PER_ADDRESS = 30
VERIFICATION_WINDOW = timedelta(minutes=10)
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed
NUMBER_LENGTH = 16
PLATFORM_NAME = "邻里志愿服务平台"


@dataclass(frozen=True)
class Entry:
    """One service on a certificate."""

    service_date: date
    event: str
    role: str
    team: str
    centihours: int
    team_id: int | None = None

    @property
    def hours(self) -> float:
        return self.centihours / 100


@dataclass(frozen=True)
class Verification:
    """What anyone may learn from a certificate's number: nothing else personal."""

    number: str
    revoked: bool
    revoked_at: datetime | None
    masked_name: str
    issuer_team_name: str
    issuer_community_name: str
    period_start: date
    period_end: date
    hours: float
    issued_at: datetime

    @property
    def valid(self) -> bool:
        return not self.revoked


def mask_name(name: str) -> str:
    """张小芳 → 张*芳, 张芳 → 张*, 欧阳小芳 → 欧**芳."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def verify_url(number: str) -> str:
    return f"{get_settings().public_url}/verify/{number}"


def pdf_path(certificate_id: int) -> str:
    return f"/certificates/{certificate_id}.pdf"


def entries_of(certificate: Certificate) -> list[Entry]:
    rows: list[dict[str, Any]] = certificate.entries or []
    return [
        Entry(
            service_date=date.fromisoformat(str(row["date"])),
            event=str(row["event"]),
            role=str(row["role"]),
            team=str(row.get("team", "")),
            centihours=int(row["centihours"]),
            team_id=row.get("teamId"),
        )
        for row in rows
    ]


def hours_of(certificate: Certificate) -> float:
    return certificate.centihours / 100


def _new_number(at: datetime) -> str:
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))
    return f"LL-{at.astimezone(SHANGHAI).year}-{body}"


def normalize_number(raw: str) -> str:
    return raw.strip().upper()[:40]


async def ledger_entries(
    volunteer_id: int, start: date, end: date, team_ids: set[int] | None = None
) -> list[Entry]:
    """The volunteer's ATTENDED sign-ups on shifts from `start` to `end` (Asia/Shanghai days,
    inclusive), each with the sum of its ledger rows; `team_ids` limits them to those teams'
    events. Sign-ups whose hours sum to nothing (corrected away) are left out."""
    since = clock.utc(datetime.combine(start, time(), SHANGHAI))
    until = clock.utc(datetime.combine(end + timedelta(days=1), time(), SHANGHAI))
    query = HoursEntry.filter(
        volunteer_id=volunteer_id,
        signup__status=SignupStatus.ATTENDED,
        signup__shift__starts_at__gte=since,
        signup__shift__starts_at__lt=until,
    )
    if team_ids is not None:
        query = query.filter(signup__shift__event__team_id__in=list(team_ids))
    rows = await query.select_related("signup__shift__event__team").order_by(
        "signup__shift__starts_at", "signup_id", "id"
    )
    sums: dict[int, int] = defaultdict(int)
    first: dict[int, HoursEntry] = {}
    for row in rows:
        sums[row.signup_id] += row.centihours
        first.setdefault(row.signup_id, row)
    entries = []
    for signup_id, row in first.items():
        if sums[signup_id] <= 0:
            continue
        shift = row.signup.shift
        entries.append(
            Entry(
                service_date=shift.starts_at.astimezone(SHANGHAI).date(),
                event=shift.event.title,
                role=shift.role,
                team=shift.event.team.name,
                centihours=sums[signup_id],
                team_id=shift.event.team_id,
            )
        )
    return entries


async def _issuing_scope(actor: Actor, volunteer_id: int) -> set[int] | None:
    """The teams whose events the certificate may cover (None: all), or FORBIDDEN."""
    if actor.is_admin or actor.id == volunteer_id:
        return None
    led = await actor.led_team_ids()
    shared = await TeamMembership.filter(
        volunteer_id=volunteer_id,
        team_id__in=list(led),
        role__in=[TeamRole.MEMBER, TeamRole.LEADER],
    ).values_list("team_id", flat=True)
    if not shared:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            N_("Only the volunteer, leaders of their team and administrators may issue this."),
        )
    return {int(str(i)) for i in shared}


async def _community_path(community_id: int | None) -> str:
    """ "某某街道 某某社区": the team's community and the places above it."""
    names: list[str] = []
    seen: set[int] = set()
    while community_id is not None and community_id not in seen and len(names) < 5:
        seen.add(community_id)
        community = await Community.get_or_none(id=community_id)
        if community is None:
            break
        names.append(community.name)
        community_id = community.parent_id
    return " ".join(reversed(names))


async def _issuer(volunteer_id: int, entries: list[Entry], scope: set[int] | None) -> Team | None:
    """The team that issues: the one with the most hours on the certificate (of the teams in
    scope); else the volunteer's own team; None when they have none."""
    by_team: dict[int, int] = defaultdict(int)
    for entry in entries:
        if entry.team_id is not None and (scope is None or entry.team_id in scope):
            by_team[entry.team_id] += entry.centihours
    if by_team:
        best = min(by_team, key=lambda team_id: (-by_team[team_id], team_id))
        return await Team.get(id=best)
    membership = (
        await TeamMembership.filter(
            volunteer_id=volunteer_id, role__in=[TeamRole.MEMBER, TeamRole.LEADER]
        )
        .order_by("joined_at", "id")
        .first()
    )
    return await Team.get_or_none(id=membership.team_id) if membership else None


async def issue_certificate(actor: Actor, volunteer_id: int, start: date, end: date) -> Certificate:
    issuer = actor.require_volunteer()
    check = Validator()
    check.check(end >= start, N_("The period must end on or after its start."), "to")
    check.check(
        (end - start).days <= MAX_DAYS, N_("A certificate covers at most five years."), "to"
    )
    today = clock.now().astimezone(SHANGHAI).date()
    check.check(start <= today, N_("The period must start today or earlier."), "from")
    check.raise_if_any()
    volunteer = await Volunteer.get_or_none(id=volunteer_id)
    if volunteer is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such volunteer."), ["volunteerId"])
    scope = await _issuing_scope(actor, volunteer_id)
    await throttle.quota(
        f"certificate:issue:{issuer.id}",
        ISSUES_PER_HOUR,
        timedelta(hours=1),
        N_("Too many certificates issued in the last hour. Please try again later."),
    )
    entries = await ledger_entries(volunteer_id, start, min(end, today), scope)
    if not entries:
        raise InvalidInput(N_("No service hours are recorded for this period."), ["from"])
    team = await _issuer(volunteer_id, entries, scope)
    community = await _community_path(team.community_id) if team else ""
    at = clock.now()
    fields: dict[str, Any] = {
        "volunteer_id": volunteer_id,
        "issued_by_id": issuer.id,
        "team_id": team.id if team else None,
        "period_start": start,
        "period_end": end,
        "volunteer_name": volunteer.display_name,
        "masked_phone": mask_phone(volunteer.phone),
        "issuer_team_name": team.name if team else PLATFORM_NAME,
        "issuer_community_name": community,
        "centihours": sum(e.centihours for e in entries),
        "entries": [
            {
                "date": e.service_date.isoformat(),
                "event": e.event,
                "role": e.role,
                "team": e.team,
                "teamId": e.team_id,
                "centihours": e.centihours,
            }
            for e in entries
        ],
        "issued_at": at,
    }
    for _ in range(3):
        try:
            return await Certificate.create(number=_new_number(at), **fields)
        except IntegrityError:  # a number drawn twice: 80 random bits, so next to never
            continue
    raise RuntimeError("could not draw a unique certificate number")


async def _get(certificate_id: int) -> Certificate:
    certificate = await Certificate.get_or_none(id=certificate_id)
    if certificate is None:
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such certificate."), ["id"])
    return certificate


async def may_see(actor: Actor, certificate: Certificate) -> bool:
    """The volunteer, their leaders (and the issuing team's), admins."""
    if actor.volunteer is None:
        return False
    if actor.scopes is not None and "READ_PERSONAL" not in actor.scopes:
        return False  # an API token without the personal-data scope
    if certificate.team_id is not None and await actor.leads(certificate.team_id):
        return True
    return await actor.may_see_personal_data_of(certificate.volunteer_id)


async def certificate_for(actor: Actor, certificate_id: int) -> Certificate:
    """A certificate for its PDF: NOT_FOUND / FORBIDDEN (anonymous: UNAUTHENTICATED)."""
    actor.require_volunteer()
    certificate = await _get(certificate_id)
    if not await may_see(actor, certificate):
        raise DomainError(ErrorCode.FORBIDDEN, N_("This certificate is not yours to see."))
    return certificate


async def certificates_of(actor: Actor, volunteer_id: int) -> list[Certificate]:
    """A volunteer's certificates, newest first; empty for anyone who may not see them."""
    if actor.volunteer is None:
        return []
    rows = await Certificate.filter(volunteer_id=volunteer_id).order_by("-issued_at", "-id")
    return [c for c in rows if await may_see(actor, c)]


async def revoke_certificate(actor: Actor, certificate_id: int, reason: str) -> Certificate:
    revoker = actor.require_volunteer()
    check = Validator()
    text = check.text(reason, "reason", max_length=200, label=N_("The reason"))
    check.raise_if_any()
    certificate = await _get(certificate_id)
    allowed = actor.is_admin or (
        certificate.team_id is not None and certificate.team_id in await actor.led_team_ids()
    )
    if not allowed:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            N_("Only the issuing team's leaders and administrators may revoke."),
        )
    changed = await Certificate.filter(id=certificate.id, revoked_at=None).update(
        revoked_at=clock.now(), revoked_by_id=revoker.id, revoke_reason=text or ""
    )
    if not changed:
        raise DomainError(ErrorCode.INVALID_STATE, N_("This certificate is already revoked."))
    return await _get(certificate.id)


async def verify(number: str, client_address: str) -> Verification | None:
    """What a third party learns from a number (None: no such certificate). Every look-up
    counts against the caller's address, found or not."""
    await throttle.quota(
        f"certificate:verify:{client_address[:64]}",
        VERIFICATIONS_PER_ADDRESS,
        VERIFICATION_WINDOW,
        N_("Too many look-ups from your address. Please wait a few minutes."),
    )
    certificate = await Certificate.get_or_none(number=normalize_number(number))
    if certificate is None:
        return None
    return Verification(
        number=certificate.number,
        revoked=certificate.revoked_at is not None,
        revoked_at=certificate.revoked_at,
        masked_name=mask_name(certificate.volunteer_name),
        issuer_team_name=certificate.issuer_team_name,
        issuer_community_name=certificate.issuer_community_name,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        hours=hours_of(certificate),
        issued_at=certificate.issued_at,
    )


def _hours_text(centihours: int) -> str:
    return f"{centihours / 100:.2f}".rstrip("0").rstrip(".")


def document_of(certificate: Certificate) -> pdf.CertificateDocument:
    revoked = None
    if certificate.revoked_at is not None:
        day = certificate.revoked_at.astimezone(SHANGHAI).date()
        revoked = f"本证明已于 {day.year}年{day.month}月{day.day}日 撤销，不再有效。"
    return pdf.CertificateDocument(
        number=certificate.number,
        volunteer_name=certificate.volunteer_name,
        masked_phone=certificate.masked_phone,
        issuer_team=certificate.issuer_team_name,
        issuer_community=certificate.issuer_community_name,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        services=[
            pdf.Service(e.service_date, e.event, e.role, _hours_text(e.centihours))
            for e in entries_of(certificate)
        ],
        total_hours=_hours_text(certificate.centihours),
        issued_on=certificate.issued_at.astimezone(SHANGHAI).date(),
        verify_url=verify_url(certificate.number),
        revoked_note=revoked,
    )


async def render_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF (drawn in a worker thread: embedding the font takes a moment)."""
    return await asyncio.to_thread(pdf.certificate_pdf, document_of(certificate))
