"""Creating and revoking API tokens (from a logged-in session; a token cannot make tokens)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api import models
from api.domain import api_tokens
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, attempt
from api.graphql.types.api_token import ApiScope, ApiToken
from api.http.ids import decode_id_of


@strawberry.input(description="A new API token for a third party (开发者令牌).")
class CreateApiTokenInput:
    name: str = strawberry.field(description="What it is for, e.g. 区志愿服务大屏.")
    scopes: list[ApiScope] = strawberry.field(
        description="What it may do; at least one. It never exceeds its owner's rights."
    )
    expires_in_days: int | None = strawberry.field(
        default=None, description="1–730 days; null: until revoked."
    )


@strawberry.type(description="The new token: its secret (once) and its record.")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(
        description="The secret, shown this once: send it as `Authorization: Bearer <token>`."
    )
    api_token: models.ApiToken | None = strawberry.field(
        description="The token's record (no secret); null on failure.",
        graphql_type=ApiToken | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Revoking one of your API tokens.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="The token (an ApiToken id).")


@strawberry.type(description="The revoked token: it answers HTTP 401 from now on.")
class RevokeApiTokenPayload:
    api_token: models.ApiToken | None = strawberry.field(
        description="The token's record, revoked; null on failure.",
        graphql_type=ApiToken | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class ApiTokenMutations:
    @strawberry.mutation(description="Makes an API token for your account (its secret once).")
    async def create_api_token(
        self, info: Info, input: Annotated[CreateApiTokenInput, INPUT]
    ) -> CreateApiTokenPayload:
        made, errors = await attempt(
            lambda: api_tokens.create_token(
                info.context.actor,
                input.name,
                list(input.scopes),
                input.expires_in_days,
            )
        )
        secret, row = made if made else (None, None)
        return CreateApiTokenPayload(token=secret, api_token=row, user_errors=errors)

    @strawberry.mutation(description="Revokes one of your tokens: it answers 401 from then on.")
    async def revoke_api_token(
        self, info: Info, input: Annotated[RevokeApiTokenInput, INPUT]
    ) -> RevokeApiTokenPayload:
        row, errors = await attempt(
            lambda: api_tokens.revoke_token(
                info.context.actor, decode_id_of(input.id, "ApiToken", "id")
            )
        )
        return RevokeApiTokenPayload(api_token=row, user_errors=errors)
