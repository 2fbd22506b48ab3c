from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.models.volunteer import Volunteer


class PhoneCodePurpose(StrEnum):
    REGISTER = "REGISTER"
    LOG_IN = "LOG_IN"
    RESET_PASSWORD = "RESET_PASSWORD"


class PhoneCode(Model):
    # The one-time code last sent to a phone, stored hashed. One row per phone: the resend
    # cool-down, the daily cap and the tries are conditional updates of this row, so parallel
    # requests cannot overtake each other.

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True)
    purpose = fields.CharEnumField(PhoneCodePurpose, max_length=16)
    code_hash = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    sent_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    # The day (Asia/Shanghai, YYYY-MM-DD) that `sends_today` counts.
    day = fields.CharField(max_length=10)
    sends_today = fields.IntField(default=0)

    class Meta:
        table = "phone_code"


class PhoneCodeRequest(Model):
    # A code sent from a client address, counted for the daily cap per address.

    id = fields.IntField(primary_key=True)
    client_address = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=20)
    created_at = fields.DatetimeField()

    class Meta:
        table = "phone_code_request"
        indexes = (("client_address", "created_at"),)


class SmsMessage(Model):
    # An SMS waiting for (or done with) the gateway: written before it is sent so that a crash
    # or a gateway outage loses nothing; delivered and retried like notifications. The text
    # (which may hold a one-time code) is blanked once delivered.

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20)
    purpose = fields.CharField(max_length=32)
    text = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)
    delivery_attempts = fields.IntField(default=0)
    next_delivery_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sms_message"
        indexes = (("delivered_at", "next_delivery_at"),)


class UserSession(Model):
    # A logged-in browser. The cookie holds a random token; only its SHA-256 digest is kept,
    # so a copy of the database cannot be used to log in. Ending a session deletes its row.

    id = fields.IntField(primary_key=True)
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="sessions", on_delete=fields.CASCADE
    )
    volunteer_id: int
    token_digest = fields.CharField(max_length=64, unique=True)
    user_agent = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "user_session"
        indexes = (("volunteer_id", "expires_at"),)
