"""Webhooks for third parties as their owner sees them (the secret is shown once, at creation),
with the delivery log: messages, attempts, status codes, the next attempt."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Parent
from tortoise.expressions import F

from api import models
from api.domain import webhooks
from api.graphql.context import Info
from api.graphql.pagination import Connection, empty_connection, paginate
from api.graphql.types.node import Node, global_id
from api.jobs.delivery import MAX_ATTEMPTS


@strawberry.enum(
    name="WebhookEvent",
    description="What a webhook is told about (事件订阅). Published events for anyone with "
    "the WEBHOOKS scope; sign-ups of the teams you lead (leaders and admins; a token needs "
    "READ_PERSONAL too), never a phone number.",
)
class WebhookEvent(Enum):
    EVENT_PUBLISHED = strawberry.enum_value(
        "EVENT_PUBLISHED", description="An event was published (发布): `data.event`."
    )
    EVENT_UPDATED = strawberry.enum_value(
        "EVENT_UPDATED",
        description="A published event changed (title, time, place, shifts, completed): "
        "`data.event`, `data.changed`.",
    )
    EVENT_CANCELLED = strawberry.enum_value(
        "EVENT_CANCELLED", description="A published event was cancelled (取消): `data.event`."
    )
    SHIFT_SEATS_CHANGED = strawberry.enum_value(
        "SHIFT_SEATS_CHANGED",
        description="A shift's seats, capacity or waitlist changed (名额变化): `data.shift`.",
    )
    SIGNUP_CREATED = strawberry.enum_value(
        "SIGNUP_CREATED",
        description="Someone signed up for an event of a team you lead (报名): `data.signup`.",
    )
    SIGNUP_CANCELLED = strawberry.enum_value(
        "SIGNUP_CANCELLED",
        description="A sign-up for an event of a team you lead was cancelled: `data.signup`.",
    )

    @property
    def domain(self) -> webhooks.WebhookEvent:
        return webhooks.WebhookEvent(self.name)


@strawberry.enum(name="WebhookDisabledReason", description="Why a webhook is disabled.")
class WebhookDisabledReason(Enum):
    OWNER = strawberry.enum_value("OWNER", description="Turned off with `updateWebhook`.")
    FAILING = strawberry.enum_value(
        "FAILING",
        description="Turned off automatically after failing for 24 hours, or after 5 messages "
        "in a row were given up; `updateWebhook(input: {enabled: true})` turns it on again.",
    )


@strawberry.enum(description="Where a webhook message stands (投递状态).")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not delivered yet; tried again.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Every attempt failed; `redeliverWebhook` sends it again."
    )


@strawberry.type(description="One attempt at delivering a webhook message.")
class WebhookDeliveryAttempt:
    attempted_at: datetime = strawberry.field(description="When it was made.")
    status_code: int | None = strawberry.field(
        description="The receiver's HTTP status; null when it never answered (refused "
        "address, timeout, network error)."
    )
    error: str | None = strawberry.field(
        description='What went wrong, in a few words ("HTTP 500", "timeout", '
        '"refused: PRIVATE_DESTINATION"); null on success.'
    )
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")


@strawberry.type(description="One message to a webhook, with its attempts (投递记录).")
class WebhookDelivery(Node):
    id: strawberry.ID = global_id("WebhookDelivery")

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.WebhookDelivery)

    @strawberry.field(description="What the message is about.")
    def event(self, root: Parent[models.WebhookDelivery]) -> WebhookEvent:
        return WebhookEvent[root.event_type]

    @strawberry.field(
        description="The `webhook-id` header: the same on every attempt and redelivery, so a "
        "receiver drops repeats by it."
    )
    def message_id(self, root: Parent[models.WebhookDelivery]) -> str:
        return root.message_id

    @strawberry.field(description="The JSON body sent (the same bytes on every attempt).")
    def payload(self, root: Parent[models.WebhookDelivery]) -> str:
        return root.payload

    @strawberry.field(description="When the message was made.")
    def created_at(self, root: Parent[models.WebhookDelivery]) -> datetime:
        return root.created_at

    @strawberry.field(description="When the receiver answered 2xx; null until then.")
    def delivered_at(self, root: Parent[models.WebhookDelivery]) -> datetime | None:
        return root.delivered_at

    @strawberry.field(description="Pending, delivered, or failed (given up).")
    def status(self, root: Parent[models.WebhookDelivery]) -> WebhookDeliveryStatus:
        if root.delivered_at is not None:
            return WebhookDeliveryStatus.DELIVERED
        if root.delivery_attempts >= MAX_ATTEMPTS:
            return WebhookDeliveryStatus.FAILED
        return WebhookDeliveryStatus.PENDING

    @strawberry.field(description="Attempts made in the current round (at most 8).")
    def attempt_count(self, root: Parent[models.WebhookDelivery]) -> int:
        return root.delivery_attempts

    @strawberry.field(description="The last answer's HTTP status (null: none yet, or no answer).")
    def last_status_code(self, root: Parent[models.WebhookDelivery]) -> int | None:
        return root.last_status_code

    @strawberry.field(
        description="When it will be tried next (null: delivered, given up, or due now)."
    )
    def next_attempt_at(self, root: Parent[models.WebhookDelivery]) -> datetime | None:
        if root.delivered_at is not None or root.delivery_attempts >= MAX_ATTEMPTS:
            return None
        return root.next_delivery_at

    @strawberry.field(description="The latest attempts (at most 20), oldest first.")
    async def attempts(self, root: Parent[models.WebhookDelivery]) -> list[WebhookDeliveryAttempt]:
        return [
            WebhookDeliveryAttempt(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in await webhooks.attempts_of(root)
        ]


@strawberry.type(
    description="A webhook: Linli POSTs signed messages to its URL (Standard Webhooks)."
)
class Webhook(Node):
    id: strawberry.ID = global_id("Webhook")

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Webhook)

    url: str = strawberry.field(description="Where messages are POSTed.")
    description: str = strawberry.field(description="What it is for.")
    enabled: bool = strawberry.field(description="Whether messages are sent to it.")
    created_at: datetime = strawberry.field(description="When it was made.")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    failing_since: datetime | None = strawberry.field(
        description="The first failed attempt since its last success (null while it succeeds)."
    )

    @strawberry.field(description="What it is told about.")
    def events(self, root: Parent[models.Webhook]) -> list[WebhookEvent]:
        return [WebhookEvent[e.name] for e in webhooks.events_of(root)]

    @strawberry.field(description="Why it is disabled, if it is.")
    def disabled_reason(self, root: Parent[models.Webhook]) -> WebhookDisabledReason | None:
        return WebhookDisabledReason[root.disabled_reason] if root.disabled_reason else None

    @strawberry.field(
        description="The delivery log, newest first (the owner only; empty for anyone else).",
        graphql_type=Connection[WebhookDelivery],
    )
    async def deliveries(
        self,
        root: Parent[models.Webhook],
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="How many (at most 100; 20 if not given).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
    ) -> Connection[models.WebhookDelivery]:
        queryset = webhooks.deliveries_of(info.context.actor, root)
        if queryset is None:
            return empty_connection()
        queryset = queryset.annotate(newest=F("id") * -1)
        return await paginate(queryset, first=first, after=after, order=(("newest", int),))
