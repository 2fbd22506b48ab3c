from __future__ import annotations

import strawberry

from api.domain import accounts
from api.graphql.context import Info
from api.graphql.mutations.payloads import AuthPayload, attempt


@strawberry.input
class RegisterInput:
    phone: str
    password: str
    display_name: str


@strawberry.input
class LogInInput:
    phone: str
    password: str


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Creates an account and logs it in (session cookie).")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.register(input.phone, input.password, input.display_name)
        )
        if volunteer is not None:
            info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(description="Logs in with phone and password (session cookie).")
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        volunteer, errors = await attempt(
            lambda: accounts.log_in(input.phone, input.password, info.context.client_address)
        )
        if volunteer is not None:
            info.context.start_session(volunteer)
        return AuthPayload(volunteer=volunteer, user_errors=errors)

    @strawberry.mutation(description="Ends the session; true when there was one.")
    def log_out(self, info: Info) -> bool:
        had_session = info.context.actor.volunteer is not None
        info.context.end_session()
        return had_session
