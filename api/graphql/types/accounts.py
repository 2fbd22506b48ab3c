"""Accounts: SMS code purposes and answers, a volunteer's logged-in browsers (sessions)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import sessions
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.types.enums import describe_values
from api.graphql.types.node import global_id

PhoneCodePurpose = strawberry.enum(
    models.PhoneCodePurpose, description="What an SMS one-time code is for (短信验证码用途)."
)
describe_values(
    models.PhoneCodePurpose,
    {
        "REGISTER": "Creating an account with this phone number (注册).",
        "LOG_IN": "Logging in without the password (验证码登录).",
        "RESET_PASSWORD": "Choosing a new password (重置密码).",
    },
)


@strawberry.type(description="The answer to `requestPhoneCode`.")
class PhoneCodePayload:
    retry_after_seconds: int = strawberry.field(
        description="Seconds until another code may be asked for this number."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="A browser where the volunteer is logged in.")
class Session:
    id: strawberry.ID = global_id("Session")

    @strawberry.field(
        description='Browser and system, from its User-Agent, e.g. "Chrome, Android".'
    )
    def device(self, root: Parent[models.UserSession]) -> str:
        return sessions.device(root.user_agent)

    @strawberry.field(description="When this browser logged in.")
    def created_at(self, root: Parent[models.UserSession]) -> datetime:
        return root.created_at

    @strawberry.field(description="When it was last used (to within a few minutes).")
    def last_seen_at(self, root: Parent[models.UserSession]) -> datetime:
        return root.last_seen_at

    @strawberry.field(description="Whether this is the session asking.")
    def current(self, root: Parent[models.UserSession], info: Info) -> bool:
        return root.id == info.context.actor.session_id
