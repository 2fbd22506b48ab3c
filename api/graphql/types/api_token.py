"""API tokens as their owner sees them (never the secret, which is shown once)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import api_tokens
from api.graphql.types.node import global_id

strawberry.enum(
    api_tokens.ApiScope,
    name="ApiScope",
    description="What an API token may do: READ_PUBLIC (published events, teams, places), "
    "READ_PERSONAL (personal data its owner may see), WRITE_SIGNUPS (sign-ups, check-in, "
    "joining teams), WRITE_ORGANIZING (what its owner may organize), WEBHOOKS.",
)
ApiScope = api_tokens.ApiScope


@strawberry.type(description="An API token for a third party (开发者令牌).")
class ApiToken:
    id: strawberry.ID = global_id("ApiToken")
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used (to the nearest five minutes)."
    )

    @strawberry.field(graphql_type=list[ApiScope])
    def scopes(self, root: Parent[models.ApiToken]) -> list[api_tokens.ApiScope]:
        return api_tokens.scopes_of(root)
