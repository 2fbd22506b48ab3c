"""Webhooks for third parties: an account's subscriptions and the messages sent to them.

A `WebhookDelivery` is one message to one webhook (its ``webhook-id`` is `message_id`, the
same on every attempt); it is delivered, retried and leased like notifications (the columns
`delivered_at`, `delivery_attempts`, `next_delivery_at` mean the same, see
`api.jobs.delivery`). Each attempt is logged as a `WebhookAttempt` for the owner to read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.volunteer import Volunteer


class Webhook(Model):
    id = fields.IntField(primary_key=True)
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="webhooks", on_delete=fields.CASCADE
    )
    volunteer_id: int
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    # The subscribed `WebhookEvent` names, comma-separated.
    events = fields.CharField(max_length=300)
    # The Standard Webhooks signing secret, sealed (`api.infra.webhook_secrets`).
    secret = fields.CharField(max_length=100)
    enabled = fields.BooleanField(default=True)
    # Why it is disabled: "OWNER" (turned off) or "FAILING" (automatically, after failures).
    disabled_reason = fields.CharField(max_length=20, null=True)
    disabled_at = fields.DatetimeField(null=True)
    # The first failed attempt since the last success (None while it succeeds).
    failing_since = fields.DatetimeField(null=True)
    # Messages given up on (every attempt failed) since the last success.
    failed_deliveries = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook"
        indexes = (("volunteer_id", "enabled"),)


class WebhookDelivery(Model):
    id = fields.IntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    webhook_id: int
    # The `WebhookEvent` name (the payload's "type").
    event_type = fields.CharField(max_length=40)
    # The outbox row it comes from: one delivery per (webhook, outbox row, event type).
    source_event_id = fields.IntField(null=True)
    # ``webhook-id``: random, stored, so every attempt and a redelivery carry the same one.
    message_id = fields.CharField(max_length=64, unique=True)
    # The exact JSON body (signed as it is; the same bytes on every attempt).
    payload = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)
    delivery_attempts = fields.IntField(default=0)
    next_delivery_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        unique_together = (("webhook", "source_event_id", "event_type"),)
        indexes = (("delivered_at", "next_delivery_at"), ("webhook_id", "id"))


class WebhookAttempt(Model):
    id = fields.IntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempts", on_delete=fields.CASCADE
    )
    delivery_id: int
    attempted_at = fields.DatetimeField()
    # The receiver's HTTP status (None: no answer — refused address, timeout, network error).
    status_code = fields.IntField(null=True)
    # What went wrong, in a few words (never the receiver's body).
    error = fields.CharField(max_length=200, null=True)
    duration_ms = fields.IntField(default=0)

    class Meta:
        table = "webhook_attempt"
        indexes = (("delivery_id", "id"),)
