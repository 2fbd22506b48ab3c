from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain import accounts, preferences
from api.graphql.context import Info
from api.graphql.errors import user_errors_from
from api.graphql.mutations.payloads import INPUT, AuthPayload, attempt
from api.graphql.types.accounts import PhoneCodePayload, PhoneCodePurpose
from api.jobs import delivery
from api.models import PhoneCodePurpose as Purpose


@strawberry.input(description="A new account (注册): phone, password, display name, SMS code.")
class RegisterInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits (e.g. 13800138000); spaces and +86 are ignored."
    )
    password: str = strawberry.field(
        description="The new password; weak or too short ones answer INVALID_INPUT."
    )
    display_name: str = strawberry.field(
        description="The name others see (昵称), at most 50 characters."
    )
    code: str | None = strawberry.field(
        default=None,
        description="The SMS code from `requestPhoneCode(purpose: REGISTER)`; required unless "
        "the deployment does not verify phones.",
    )


@strawberry.input(description="Logging in with phone and password (登录).")
class LogInInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits (e.g. 13800138000); spaces and +86 are ignored."
    )
    password: str = strawberry.field(
        description="The account's password; a wrong one answers BAD_CREDENTIALS."
    )


@strawberry.input(description="Asking for an SMS one-time code (短信验证码).")
class RequestPhoneCodeInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits (e.g. 13800138000); spaces and +86 are ignored."
    )
    purpose: PhoneCodePurpose = strawberry.field(  # type: ignore[valid-type]
        description="What the code will be used for; a code works for that purpose only."
    )


@strawberry.input(description="Logging in with an SMS code instead of the password.")
class LogInWithCodeInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits (e.g. 13800138000); spaces and +86 are ignored."
    )
    code: str = strawberry.field(
        description="The six-digit code from `requestPhoneCode(purpose: LOG_IN)`."
    )


@strawberry.input(description="Choosing a new password with an SMS code (忘记密码).")
class ResetPasswordInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, 11 digits (e.g. 13800138000); spaces and +86 are ignored."
    )
    code: str = strawberry.field(
        description="The six-digit code from `requestPhoneCode(purpose: RESET_PASSWORD)`."
    )
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="Changing the password of the volunteer logged in.")
class ChangePasswordInput:
    current_password: str = strawberry.field(
        description="The password now; a wrong one answers BAD_CREDENTIALS."
    )
    new_password: str = strawberry.field(description="The new password.")


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Sends a six-digit code by SMS (valid 5 minutes). The answer is the same "
        "whether or not the number has an account."
    )
    async def request_phone_code(
        self, info: Info, input: Annotated[RequestPhoneCodeInput, INPUT]
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
    async def register(self, info: Info, input: Annotated[RegisterInput, INPUT]) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.register(input.phone, input.password, input.display_name, input.code)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
            if info.context.language:  # notices in the language the account was made in
                await preferences.set_language(info.context.actor, info.context.language)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(description="Logs in with phone and password (session cookie).")
    async def log_in(self, info: Info, input: Annotated[LogInInput, INPUT]) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.log_in(input.phone, input.password, info.context.client_address)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(
        description="Logs in with an SMS code (`requestPhoneCode(purpose: LOG_IN)`)."
    )
    async def log_in_with_code(
        self, info: Info, input: Annotated[LogInWithCodeInput, INPUT]
    ) -> AuthPayload:
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
    async def reset_password(
        self, info: Info, input: Annotated[ResetPasswordInput, INPUT]
    ) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.reset_password(input.phone, input.code, input.new_password)
        )
        if volunteer is not None:
            await info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(
        description="Changes the password of the volunteer logged in; their other sessions end."
    )
    async def change_password(
        self, info: Info, input: Annotated[ChangePasswordInput, INPUT]
    ) -> AuthPayload:
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
