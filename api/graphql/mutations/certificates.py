"""Issuing and revoking certificates of service hours; verifying one is a query (public)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api import models
from api.domain import certificates
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, answer
from api.graphql.types.certificate import Certificate, CertificateVerification
from api.http.ids import decode_id_of


@strawberry.type(description="The answer to a certificate mutation (服务证明).")
class CertificatePayload:
    certificate: models.Certificate | None = strawberry.field(
        description="The certificate after the change; null on failure.",
        graphql_type=Certificate | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(
        cls, certificate: models.Certificate | None, user_errors: list[UserError]
    ) -> CertificatePayload:
        return cls(certificate=certificate, user_errors=user_errors)


@strawberry.input(description="A certificate of a volunteer's service hours over some days.")
class IssueCertificateInput:
    volunteer_id: strawberry.ID = strawberry.field(
        description="The volunteer (a Volunteer id): yourself, a member of a team you lead, or anyone (admins)."
    )
    from_: date = strawberry.field(name="from", description="First day, Asia/Shanghai.")
    to: date = strawberry.field(description="Last day (inclusive), Asia/Shanghai.")


@strawberry.input(description="Revoking a certificate; its public verification says so.")
class RevokeCertificateInput:
    id: strawberry.ID = strawberry.field(description="The certificate (a Certificate id).")
    reason: str = strawberry.field(description="At most 200 characters; kept with it.")


@strawberry.type
class CertificateMutations:
    @strawberry.mutation(
        description="A certificate of the volunteer's service hours for a period, from the "
        "hours ledger: by the volunteer themself, a leader of their team (that team's events "
        "only) or an admin. Rate-limited per issuer."
    )
    async def issue_certificate(
        self, info: Info, input: Annotated[IssueCertificateInput, INPUT]
    ) -> CertificatePayload:
        return await answer(
            CertificatePayload.of,
            lambda: certificates.issue_certificate(
                info.context.actor,
                decode_id_of(input.volunteer_id, "Volunteer", "volunteerId"),
                input.from_,
                input.to,
            ),
        )

    @strawberry.mutation(
        description="The issuing team's leaders and admins: the certificate verifies as "
        "revoked from now on."
    )
    async def revoke_certificate(
        self, info: Info, input: Annotated[RevokeCertificateInput, INPUT]
    ) -> CertificatePayload:
        return await answer(
            CertificatePayload.of,
            lambda: certificates.revoke_certificate(
                info.context.actor, decode_id_of(input.id, "Certificate", "id"), input.reason
            ),
        )


async def verify_certificate(info: Info, number: str) -> CertificateVerification | None:
    """`Query.verifyCertificate`: public; null for an unknown number; rate-limited per address."""
    found = await certificates.verify(number, info.context.client_address)
    return CertificateVerification.of(found) if found else None
