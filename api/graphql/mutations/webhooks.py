"""Webhooks for third parties: create (the secret once), update, enable/disable, delete,
redeliver. A token needs the WEBHOOKS scope (checked before anything runs, `scopes.py`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api import models
from api.domain import webhooks
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, attempt
from api.graphql.types.webhook import Webhook, WebhookDelivery, WebhookEvent
from api.http.ids import decode_id_of, encode_id


@strawberry.input(description="A new webhook.")
class CreateWebhookInput:
    url: str = strawberry.field(
        description="Where to POST messages: https, a public address (up to 2000 characters)."
    )
    events: list[WebhookEvent] = strawberry.field(description="What to be told about.")
    description: str | None = strawberry.field(
        default=None, description="What it is for, e.g. 区志愿服务大屏 (up to 200 characters)."
    )


@strawberry.type(description="The answer to `createWebhook`.")
class CreateWebhookPayload:
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_…`, Standard Webhooks), shown this once."
    )
    webhook: models.Webhook | None = strawberry.field(
        graphql_type=Webhook | None, description="The webhook made."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Changes to a webhook; fields left out stay as they are.")
class UpdateWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")
    url: str | None = strawberry.field(default=None, description="A new URL (checked again).")
    events: list[WebhookEvent] | None = strawberry.field(
        default=None, description="A new set of events."
    )
    description: str | None = strawberry.field(default=None, description="A new description.")
    enabled: bool | None = strawberry.field(
        default=None,
        description="false: stop sending; true: send again (also after it was disabled for "
        "failing; waiting messages go at once).",
    )


@strawberry.type(description="The answer to `updateWebhook`.")
class UpdateWebhookPayload:
    webhook: models.Webhook | None = strawberry.field(
        graphql_type=Webhook | None, description="The webhook as it is now."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The webhook to delete.")
class DeleteWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")


@strawberry.type(description="The answer to `deleteWebhook`.")
class DeleteWebhookPayload:
    deleted_webhook_id: strawberry.ID | None = strawberry.field(
        description="The id of the webhook deleted."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The message to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="A `WebhookDelivery` id.")


@strawberry.type(description="The answer to `redeliverWebhook`.")
class RedeliverWebhookPayload:
    delivery: models.WebhookDelivery | None = strawberry.field(
        graphql_type=WebhookDelivery | None, description="The message, due again."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Subscribes a URL to events (Standard Webhooks); answers the signing "
        "secret once. At most 10 per account. Needs the WEBHOOKS scope for a token."
    )
    async def create_webhook(
        self, info: Info, input: Annotated[CreateWebhookInput, INPUT]
    ) -> CreateWebhookPayload:
        made, errors = await attempt(
            lambda: webhooks.create_webhook(
                info.context.actor, input.url, [e.domain for e in input.events], input.description
            )
        )
        secret, row = made if made else (None, None)
        return CreateWebhookPayload(secret=secret, webhook=row, user_errors=errors)

    @strawberry.mutation(description="Changes, disables or re-enables one of your webhooks.")
    async def update_webhook(
        self, info: Info, input: Annotated[UpdateWebhookInput, INPUT]
    ) -> UpdateWebhookPayload:
        row, errors = await attempt(
            lambda: webhooks.update_webhook(
                info.context.actor,
                decode_id_of(input.id, "Webhook", "id"),
                url=input.url,
                events=[e.domain for e in input.events] if input.events is not None else None,
                description=input.description,
                enabled=input.enabled,
            )
        )
        return UpdateWebhookPayload(webhook=row, user_errors=errors)

    @strawberry.mutation(description="Deletes one of your webhooks and its delivery log.")
    async def delete_webhook(
        self, info: Info, input: Annotated[DeleteWebhookInput, INPUT]
    ) -> DeleteWebhookPayload:
        deleted, errors = await attempt(
            lambda: webhooks.delete_webhook(
                info.context.actor, decode_id_of(input.id, "Webhook", "id")
            )
        )
        return DeleteWebhookPayload(
            deleted_webhook_id=strawberry.ID(encode_id("Webhook", deleted)) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Sends a message again: same `webhook-id` and body, a fresh signature and "
        "a fresh round of attempts."
    )
    async def redeliver_webhook(
        self, info: Info, input: Annotated[RedeliverWebhookInput, INPUT]
    ) -> RedeliverWebhookPayload:
        row, errors = await attempt(
            lambda: webhooks.redeliver(
                info.context.actor, decode_id_of(input.delivery_id, "WebhookDelivery", "deliveryId")
            )
        )
        return RedeliverWebhookPayload(delivery=row, user_errors=errors)
