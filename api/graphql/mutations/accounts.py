from __future__ import annotations

import strawberry

from api.domain import accounts
from api.graphql.context import Info
from api.graphql.errors import user_errors_from
from api.graphql.mutations.payloads import AuthPayload, attempt
from api.graphql.types.accounts import PhoneCodePayload, PhoneCodePurpose
from api.jobs import delivery
from api.models import PhoneCodePurpose as Purpose


@strawberry.input
class RegisterInput:
    phone: str
    password: str
    display_name: str
    code: str | None = strawberry.field(
        default=None,
        description="The SMS code from `requestPhoneCode(purpose: REGISTER)`; required unless "
        "the deployment does not verify phones.",
    )


@strawberry.input
class LogInInput:
    phone: str
    password: str


@strawberry.input
class RequestPhoneCodeInput:
    phone: str
    purpose: PhoneCodePurpose  # type: ignore[valid-type]


@strawberry.input
class LogInWithCodeInput:
    phone: str
    code: str


@strawberry.input
class ResetPasswordInput:
    phone: str
    code: str
    new_password: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Sends a six-digit code by SMS (valid 5 minutes). The answer is the same "
        "whether or not the number has an account."
    )
    async def request_phone_code(
        self, info: Info, input: RequestPhoneCodeInput
    ) -> PhoneCodePayload:
        request, errors = await attempt(
            lambda: accounts.request_phone_code(
                input.phone, Purpose(input.purpose), info.context.client_address
            )
        )
        if request is None:
            return PhoneCodePayload(retry_after_seconds=0, user_errors=errors)
        if request.refusal is not None:
            errors = user_errors_from(request.refusal)
        if request.sms_id is not None:
            await delivery.deliver_sms(request.sms_id)
        return PhoneCodePayload(retry_after_seconds=request.retry_after_seconds, user_errors=errors)

    @strawberry.mutation(description="Creates an account and logs it in (session cookie).")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.register(input.phone, input.password, input.display_name, input.code)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(description="Logs in with phone and password (session cookie).")
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.log_in(input.phone, input.password, info.context.client_address)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(
        description="Logs in with an SMS code (`requestPhoneCode(purpose: LOG_IN)`)."
    )
    async def log_in_with_code(self, info: Info, input: LogInWithCodeInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.log_in_with_code(input.phone, input.code)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(
        description="Sets a new password with an SMS code (`requestPhoneCode(purpose: "
        "RESET_PASSWORD)`); every session ends and this browser is logged in."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.reset_password(input.phone, input.code, input.new_password)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(
        description="Changes the password of the volunteer logged in; their other sessions end."
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> AuthPayload:
        actor = info.context.actor
        volunteer, errors = await attempt(
            lambda: accounts.change_password(
                actor.require_volunteer(),
                input.current_password,
                input.new_password,
                info.context.client_address,
                session_id=actor.session_id,
            )
        )
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(description="Ends this session; true when there was one.")
    async def log_out(self, info: Info) -> bool:
        had_session = info.context.actor.volunteer is not None
        await info.context.end_session()
        return had_session

    @strawberry.mutation(description="Ends every session of the volunteer, this one included.")
    async def log_out_everywhere(self, info: Info) -> bool:
        from api.domain import sessions

        volunteer = info.context.actor.volunteer
        if volunteer is None:
            info.context.forget_cookie()
            return False
        await sessions.end_all(volunteer.id)
        info.context.forget_cookie()
        return True
