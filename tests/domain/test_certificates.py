"""Certificates of service hours: figures from the ledger, kept as issued, revocable,
verifiable by anyone with only a masked name; who may issue, see and revoke."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from api.domain import certificates, hours_report
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, ValidationErrors
from api.infra import clock
from api.models import (
    Certificate,
    Event,
    HoursEntry,
    HoursMethod,
    Signup,
    SignupStatus,
    Team,
    Volunteer,
)
from api.settings import SHANGHAI
from tests import factories

pytestmark = pytest.mark.usefixtures("database")


async def served(
    who: Volunteer,
    owner: Team,
    days_ago: float,
    centihours: int,
    *,
    title: str = "义剪服务",
    status: SignupStatus = SignupStatus.ATTENDED,
) -> Signup:
    """A shift `days_ago` with `who` on it and `centihours` in the ledger."""
    event: Event = await factories.event(owner, title=title, starts_at=factories.soon(-days_ago))
    shift = (await event.shifts.all())[0]
    signup = await Signup.create(
        shift=shift, volunteer=who, status=status, idempotency_key=f"k{shift.id}"
    )
    await HoursEntry.create(
        signup=signup, volunteer=who, centihours=centihours, method=HoursMethod.LEADER
    )
    return signup


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


async def neighbourhood() -> dict[str, object]:
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", parent=district)
    people = {
        name: await factories.volunteer(name)
        for name in ("张小芳", "王队长", "陈队长", "路人", "管理员")
    }
    await Volunteer.filter(id=people["管理员"].id).update(is_admin=True)
    people["管理员"].is_admin = True
    haircut = await factories.team(
        "巾帼志愿者服务队", leaders=(people["王队长"],), members=(people["张小芳"],), place=compound
    )
    patrol = await factories.team("平安巡逻队", leaders=(people["陈队长"],))
    return {**people, "haircut": haircut, "patrol": patrol}


async def test_figures_equal_the_ledger_and_stay_as_issued() -> None:
    n = await neighbourhood()
    fang, haircut, patrol = n["张小芳"], n["haircut"], n["patrol"]
    assert isinstance(fang, Volunteer) and isinstance(haircut, Team) and isinstance(patrol, Team)
    await served(fang, haircut, 10, 250, title="义剪服务")
    corrected = await served(fang, patrol, 20, 300, title="夜间巡逻")
    await served(fang, haircut, 45, 400, title="太久以前")  # before the period
    await served(fang, haircut, 5, 0, title="未到", status=SignupStatus.NO_SHOW)
    start, end = today() - timedelta(days=30), today()

    certificate = await certificates.issue_certificate(Actor(fang), fang.id, start, end)

    admin = n["管理员"]
    assert isinstance(admin, Volunteer)
    ledger = await hours_report.hours_report(Actor(admin), start, end)
    mine = next(p for p in ledger if p.volunteer_id == fang.id)
    assert certificates.hours_of(certificate) == mine.hours == 5.5
    entries = certificates.entries_of(certificate)
    assert [(e.event, e.hours) for e in entries] == [("夜间巡逻", 3.0), ("义剪服务", 2.5)]
    assert [(line.event_title, line.hours) for line in mine.lines if line.hours] == [
        ("夜间巡逻", 3.0),
        ("义剪服务", 2.5),
    ]
    assert certificate.volunteer_name == "张小芳"
    assert certificate.masked_phone == fang.phone[:3] + "****" + fang.phone[-4:]
    assert certificate.issuer_team_name == "平安巡逻队"  # most hours on the certificate
    assert certificate.number.startswith(f"LL-{today().year}-")

    # Hours corrected later: the issued certificate stays as it was; a new one differs.
    await HoursEntry.create(
        signup=corrected, volunteer=fang, centihours=-100, method=HoursMethod.CORRECTION
    )
    again = await Certificate.get(id=certificate.id)
    assert certificates.hours_of(again) == 5.5
    assert certificates.entries_of(again) == entries
    newer = await certificates.issue_certificate(Actor(fang), fang.id, start, end)
    assert certificates.hours_of(newer) == 4.5 and newer.number != certificate.number
    assert newer.issuer_team_name == "巾帼志愿者服务队"
    assert newer.issuer_community_name == "东园镇 尊湖小区"


async def test_a_leader_certifies_their_own_teams_events_only() -> None:
    n = await neighbourhood()
    fang, haircut, patrol = n["张小芳"], n["haircut"], n["patrol"]
    await served(fang, haircut, 10, 250)
    await served(fang, patrol, 20, 300)
    leader = n["王队长"]
    certificate = await certificates.issue_certificate(
        Actor(leader), fang.id, today() - timedelta(days=30), today()
    )
    assert certificates.hours_of(certificate) == 2.5
    assert certificate.issuer_team_name == "巾帼志愿者服务队"
    assert certificate.issued_by_id == leader.id


async def test_who_may_issue_see_and_revoke() -> None:
    n = await neighbourhood()
    fang, haircut = n["张小芳"], n["haircut"]
    await served(fang, haircut, 3, 200)
    start, end = today() - timedelta(days=7), today()

    async def issue(actor: Actor) -> Certificate | ErrorCode:
        try:
            return await certificates.issue_certificate(actor, fang.id, start, end)
        except DomainError as exc:
            return exc.code

    assert await issue(Actor()) == ErrorCode.UNAUTHENTICATED
    assert await issue(Actor(n["路人"])) == ErrorCode.FORBIDDEN
    assert await issue(Actor(n["陈队长"])) == ErrorCode.FORBIDDEN  # leads another team
    for who in ("张小芳", "王队长", "管理员"):
        assert isinstance(await issue(Actor(n[who])), Certificate), who
    certificate = await Certificate.filter(volunteer_id=fang.id).first()
    assert certificate is not None

    async def see(actor: Actor) -> bool | ErrorCode:
        try:
            await certificates.certificate_for(actor, certificate.id)
            return True
        except DomainError as exc:
            return exc.code

    assert await see(Actor()) == ErrorCode.UNAUTHENTICATED
    assert await see(Actor(n["路人"])) == ErrorCode.FORBIDDEN
    assert await see(Actor(n["陈队长"])) == ErrorCode.FORBIDDEN
    for who in ("张小芳", "王队长", "管理员"):
        assert await see(Actor(n[who])) is True, who
    assert len(await certificates.certificates_of(Actor(n["王队长"]), fang.id)) == 3
    assert await certificates.certificates_of(Actor(n["陈队长"]), fang.id) == []
    assert await certificates.certificates_of(Actor(), fang.id) == []

    async def revoke(actor: Actor) -> bool | ErrorCode:
        try:
            await certificates.revoke_certificate(actor, certificate.id, "信息有误")
            return True
        except DomainError as exc:
            return exc.code

    assert await revoke(Actor()) == ErrorCode.UNAUTHENTICATED
    for who in ("张小芳", "路人", "陈队长"):  # the volunteer may not revoke their own
        assert await revoke(Actor(n[who])) == ErrorCode.FORBIDDEN, who
    assert await revoke(Actor(n["王队长"])) is True
    assert await revoke(Actor(n["管理员"])) == ErrorCode.INVALID_STATE  # already revoked


async def test_a_revoked_certificate_verifies_as_revoked_with_a_masked_name() -> None:
    n = await neighbourhood()
    fang = n["张小芳"]
    await served(fang, n["haircut"], 3, 350)
    certificate = await certificates.issue_certificate(
        Actor(fang), fang.id, today() - timedelta(days=7), today()
    )
    found = await certificates.verify(certificate.number.lower(), "203.0.113.9")
    assert found is not None and found.valid
    assert found.masked_name == "张*芳" and found.hours == 3.5
    assert (found.issuer_team_name, found.issuer_community_name) == (
        "巾帼志愿者服务队",
        "东园镇 尊湖小区",
    )
    with pytest.raises(ValidationErrors):
        await certificates.revoke_certificate(Actor(n["管理员"]), certificate.id, "  ")
    await certificates.revoke_certificate(Actor(n["管理员"]), certificate.id, "重复出具")
    found = await certificates.verify(certificate.number, "203.0.113.9")
    assert found is not None and not found.valid and found.revoked_at is not None
    assert await certificates.verify("LL-2026-NOSUCHNUMBER0000", "203.0.113.9") is None


async def test_bad_periods_and_empty_periods_are_refused() -> None:
    n = await neighbourhood()
    fang = n["张小芳"]
    actor = Actor(fang)
    with pytest.raises(ValidationErrors):
        await certificates.issue_certificate(actor, fang.id, today(), today() - timedelta(1))
    with pytest.raises(ValidationErrors):
        await certificates.issue_certificate(actor, fang.id, today() + timedelta(1), today())
    with pytest.raises(DomainError) as refused:
        await certificates.issue_certificate(actor, fang.id, today() - timedelta(30), today())
    assert refused.value.code == ErrorCode.INVALID_INPUT  # no hours in the period
    assert await Certificate.all().count() == 0


async def test_issuing_is_rate_limited_per_issuer() -> None:
    n = await neighbourhood()
    fang = n["张小芳"]
    await served(fang, n["haircut"], 3, 100)
    start = today() - timedelta(days=7)
    for _ in range(certificates.ISSUES_PER_HOUR):
        await certificates.issue_certificate(Actor(fang), fang.id, start, today())
    with pytest.raises(DomainError) as refused:
        await certificates.issue_certificate(Actor(fang), fang.id, start, today())
    assert refused.value.code == ErrorCode.RATE_LIMITED
    # Another issuer is not held back by this one.
    await certificates.issue_certificate(Actor(n["王队长"]), fang.id, start, today())


def test_masking() -> None:
    assert certificates.mask_name("张小芳") == "张*芳"
    assert certificates.mask_name("张芳") == "张*"
    assert certificates.mask_name("欧阳小芳") == "欧**芳"
    assert certificates.mask_phone("13812345678") == "138****5678"


async def test_a_burst_of_issues_stays_within_the_quota_with_distinct_numbers(monkeypatch) -> None:
    import asyncio

    monkeypatch.setattr(certificates, "ISSUES_PER_HOUR", 4)
    n = await neighbourhood()
    fang = n["张小芳"]
    await served(fang, n["haircut"], 3, 150)
    start = today() - timedelta(days=7)

    def issue() -> Any:
        return certificates.issue_certificate(Actor(fang), fang.id, start, today())

    # Three taps at once, within the quota: three certificates, each its own number.
    first = await asyncio.gather(*(issue() for _ in range(3)))
    assert len({c.number for c in first}) == 3
    assert {c.centihours for c in first} == {150}
    # Ten more at once: never beyond the quota, the rest refused with RATE_LIMITED.
    outcomes = await asyncio.gather(*(issue() for _ in range(10)), return_exceptions=True)
    refused = [o for o in outcomes if not isinstance(o, Certificate)]
    assert all(isinstance(o, DomainError) and o.code == ErrorCode.RATE_LIMITED for o in refused)
    assert len(refused) >= 9
    assert await Certificate.filter(volunteer_id=fang.id).count() <= 4
