"""API tokens as their owner sees them (never the secret, which is shown once)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import api_tokens
from api.graphql.types.enums import describe_values
from api.graphql.types.node import global_id

strawberry.enum(
    api_tokens.ApiScope,
    name="ApiScope",
    description="What an API token may do: READ_PUBLIC (published events, teams, places), "
    "READ_PERSONAL (personal data its owner may see), WRITE_SIGNUPS (sign-ups, check-in, "
    "joining teams), WRITE_ORGANIZING (what its owner may organize), WEBHOOKS.",
)
describe_values(
    api_tokens.ApiScope,
    {
        "READ_PUBLIC": "Read what anyone may read: published events, shifts, teams, places.",
        "READ_PERSONAL": "Read the personal data the token's owner may see (their sign-ups, "
        "hours, notifications; members' contacts for leaders).",
        "WRITE_SIGNUPS": "Sign up, cancel, check in, join teams, for the token's owner.",
        "WRITE_ORGANIZING": "Create and edit what the token's owner may organize (events, "
        "shifts, attendance, teams they lead).",
        "WEBHOOKS": "Manage webhooks that push changes to the third party.",
    },
)
ApiScope = api_tokens.ApiScope


@strawberry.type(description="An API token for a third party (开发者令牌).")
class ApiToken:
    id: strawberry.ID = global_id("ApiToken")
    name: str = strawberry.field(description="What it is for, as its owner named it.")
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (HTTP 401 after); null: until revoked."
    )
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used (to the nearest five minutes)."
    )

    @strawberry.field(
        description="What it may do; a call outside them answers FORBIDDEN.",
        graphql_type=list[ApiScope],
    )
    def scopes(self, root: Parent[models.ApiToken]) -> list[api_tokens.ApiScope]:
        return api_tokens.scopes_of(root)
