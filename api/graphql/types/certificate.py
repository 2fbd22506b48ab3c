"""Certificates of service hours (志愿服务记录证明) and their public verification.

A certificate is seen by the volunteer, their leaders and admins (`api.domain.certificates`);
its figures are the snapshot taken when it was issued. `CertificateVerification` is what anyone
learns from a number: the name masked, nothing else personal."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import certificates
from api.graphql.context import Info
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import VolunteerRef
from api.settings import get_settings


@strawberry.type(description="The organisation that issues a certificate.")
class CertificateIssuer:
    team_name: str = strawberry.field(description="The issuing team (志愿服务组织).")
    community_name: str = strawberry.field(
        description="Its community, from the district down (may be empty)."
    )


@strawberry.type(description="One service on a certificate, as issued.")
class CertificateEntry:
    date: date = strawberry.field(description="The shift's day, Asia/Shanghai.")
    event: str = strawberry.field(description="The event's title, as it was then.")
    role: str = strawberry.field(description="The shift's role, as it was then.")
    hours: float = strawberry.field(description="Hours credited for it.")


@strawberry.type(
    description="A certificate of service hours (志愿服务记录证明): a snapshot of the hours "
    "ledger for a period, kept as issued. Seen by the volunteer, their leaders and admins."
)
class Certificate(Node):
    id: strawberry.ID = global_id("Certificate")
    number: str = strawberry.field(description="Public, unguessable; see `verifyCertificate`.")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while valid."
    )
    revoke_reason: str = strawberry.field(description="Empty unless revoked.")

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Certificate)

    @strawberry.field(name="from", description="The first day of the period (Asia/Shanghai).")
    def from_(self, root: Parent[models.Certificate]) -> date:
        return root.period_start

    @strawberry.field(description="The last day of the period (Asia/Shanghai).")
    def to(self, root: Parent[models.Certificate]) -> date:
        return root.period_end

    @strawberry.field(description="The total service hours certified.")
    def hours(self, root: Parent[models.Certificate]) -> float:
        return certificates.hours_of(root)

    @strawberry.field(description="Each service certified, oldest first.")
    def entries(self, root: Parent[models.Certificate]) -> list[CertificateEntry]:
        return [
            CertificateEntry(date=e.service_date, event=e.event, role=e.role, hours=e.hours)
            for e in certificates.entries_of(root)
        ]

    @strawberry.field(description="The issuing organisation, as issued.")
    def issuer(self, root: Parent[models.Certificate]) -> CertificateIssuer:
        return CertificateIssuer(
            team_name=root.issuer_team_name, community_name=root.issuer_community_name
        )

    @strawberry.field(description="The volunteer certified.", graphql_type=VolunteerRef)
    async def volunteer(self, root: Parent[models.Certificate], info: Info) -> models.Volunteer:
        found = await info.context.loaders.volunteer.load(root.volunteer_id)
        assert found is not None  # RESTRICT: a volunteer with certificates is never deleted
        return found

    @strawberry.field(description="The public verification page (the PDF's QR code).")
    def verify_url(self, root: Parent[models.Certificate]) -> str:
        return certificates.verify_url(root.number)

    @strawberry.field(description="The PDF (A4, zh-CN): for the volunteer, leaders, admins.")
    def pdf_url(self, root: Parent[models.Certificate]) -> str:
        return get_settings().public_url + certificates.pdf_path(root.id)


@strawberry.type(
    description="What anyone learns from a certificate's number: whether it is valid, the "
    "volunteer's name masked (张*芳), the issuer, the period, the hours and the issue date."
)
class CertificateVerification:
    number: str = strawberry.field(description="The certificate number asked about.")
    valid: bool = strawberry.field(description="Issued and not revoked.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while valid."
    )
    masked_name: str = strawberry.field(description="The volunteer's name, partly masked.")
    issuer: CertificateIssuer = strawberry.field(description="Who issued it.")
    from_: date = strawberry.field(
        name="from", description="The first day of the period (Asia/Shanghai)."
    )
    to: date = strawberry.field(description="The last day of the period (inclusive).")
    hours: float = strawberry.field(description="Service hours certified.")
    issued_at: datetime = strawberry.field(description="When it was issued.")

    @classmethod
    def of(cls, found: certificates.Verification) -> CertificateVerification:
        return cls(
            number=found.number,
            valid=found.valid,
            revoked_at=found.revoked_at,
            masked_name=found.masked_name,
            issuer=CertificateIssuer(
                team_name=found.issuer_team_name, community_name=found.issuer_community_name
            ),
            from_=found.period_start,
            to=found.period_end,
            hours=found.hours,
            issued_at=found.issued_at,
        )
