from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Volunteer(Model):
    # An account: a resident who volunteers (and perhaps leads teams or administers).

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True)
    password_hash = fields.CharField(max_length=200)
    display_name = fields.CharField(max_length=50)
    is_admin = fields.BooleanField(default=False)
    calendar_token = fields.CharField(max_length=64, null=True, unique=True)
    # The language notices, reminders, SMS and feeds are written in for this person.
    language = fields.CharField(max_length=10, default="zh-CN", db_default="zh-CN")
    # A neighbour a leader added on site (a walk-in), with no password of their own yet.
    added_by: fields.ForeignKeyNullableRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="added", null=True, on_delete=fields.SET_NULL
    )
    added_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    # When the person last proved by SMS code that the phone is theirs (null: never, e.g. an
    # account made before phones were verified, or on a deployment that does not verify).
    phone_verified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "volunteer"


class ApiToken(Model):
    # A bearer token for API clients; only its SHA-256 digest is stored.

    id = fields.IntField(primary_key=True)
    volunteer: fields.ForeignKeyRelation[Volunteer] = fields.ForeignKeyField(
        "models.Volunteer", related_name="api_tokens", on_delete=fields.CASCADE
    )
    volunteer_id: int
    name = fields.CharField(max_length=100)
    token_digest = fields.CharField(max_length=64, unique=True)
    # What the token may do: ApiScope names, comma-separated. Tokens made before scopes
    # existed keep the rights they had (everything but webhooks).
    scopes = fields.CharField(
        max_length=200,
        default="READ_PUBLIC",
        db_default="READ_PUBLIC,READ_PERSONAL,WRITE_SIGNUPS,WRITE_ORGANIZING",
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
