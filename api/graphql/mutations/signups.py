from __future__ import annotations

from typing import Annotated

import strawberry

from api import models
from api.domain import checkin, signups
from api.graphql.context import Info
from api.graphql.mutations.payloads import INPUT, SignupPayload, answer
from api.graphql.types import SignupStatus
from api.http.ids import decode_id_of
from api.infra import metrics


@strawberry.input(description="Signing up for a shift (报名).")
class SignUpInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client (e.g. a UUID) and reused on every retry: the same key "
        "returns the original sign-up instead of making a second one."
    )


@strawberry.input(description="Withdrawing a sign-up (取消报名).")
class CancelSignupInput:
    signup_id: strawberry.ID = strawberry.field(description="The sign-up (a Signup id).")


@strawberry.input(description="Checking in on site (签到) with the code shown there.")
class CheckInInput:
    shift_id: strawberry.ID = strawberry.field(description="The shift (a Shift id).")
    code: str = strawberry.field(
        description="The code shown by the leader (Shift.checkInCode or its QR code)."
    )


@strawberry.input(description="A leader's record of attendance (考勤) for one sign-up.")
class MarkAttendanceInput:
    signup_id: strawberry.ID = strawberry.field(description="The sign-up (a Signup id).")
    status: SignupStatus = strawberry.field(description="ATTENDED or NO_SHOW.")
    hours: float | None = strawberry.field(
        default=None, description="Defaults to the shift's length (ATTENDED) or 0 (NO_SHOW)."
    )
    note: str | None = strawberry.field(
        default=None,
        description="Why (kept in the hours ledger); required for an admin's correction "
        "beyond the shift's length plus one hour.",
    )


@strawberry.type
class SignupMutations:
    @strawberry.mutation(
        description="CONFIRMED while seats remain, else WAITLISTED in arrival order. Idempotent."
    )
    async def sign_up(self, info: Info, input: Annotated[SignUpInput, INPUT]) -> SignupPayload:
        payload = await answer(
            SignupPayload.of,
            lambda: signups.sign_up(
                info.context.actor,
                decode_id_of(input.shift_id, "Shift", "shiftId"),
                input.idempotency_key,
            ),
        )
        signup, errors = payload.signup, payload.user_errors
        metrics.SIGNUPS.labels(str(signup.status) if signup else errors[0].code).inc()
        return payload

    @strawberry.mutation(description="Frees the seat and promotes the head of the waitlist.")
    async def cancel_signup(
        self, info: Info, input: Annotated[CancelSignupInput, INPUT]
    ) -> SignupPayload:
        return await answer(
            SignupPayload.of,
            lambda: signups.cancel_signup(
                info.context.actor, decode_id_of(input.signup_id, "Signup", "signupId")
            ),
        )

    @strawberry.mutation(
        description="On site, with the code shown by the organizer: from one hour before the "
        "shift starts until it ends → ATTENDED, hours credited."
    )
    async def check_in(self, info: Info, input: Annotated[CheckInInput, INPUT]) -> SignupPayload:
        return await answer(
            SignupPayload.of,
            lambda: checkin.check_in(
                info.context.actor, decode_id_of(input.shift_id, "Shift", "shiftId"), input.code
            ),
        )

    @strawberry.mutation(description="Leaders: ATTENDED or NO_SHOW, with hours.")
    async def mark_attendance(
        self, info: Info, input: Annotated[MarkAttendanceInput, INPUT]
    ) -> SignupPayload:
        return await answer(
            SignupPayload.of,
            lambda: checkin.mark_attendance(
                info.context.actor,
                decode_id_of(input.signup_id, "Signup", "signupId"),
                models.SignupStatus(input.status),
                input.hours,
                input.note,
            ),
        )
