from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


# Certificates of service hours (志愿服务记录证明): one new table, nothing else changes.
class Migration(migrations.Migration):
    dependencies = [("models", "0011_api_token_scopes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Certificate",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("number", fields.CharField(unique=True, max_length=40)),
                (
                    "volunteer",
                    fields.ForeignKeyField(
                        "models.Volunteer",
                        source_field="volunteer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="certificates",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "issued_by",
                    fields.ForeignKeyField(
                        "models.Volunteer",
                        source_field="issued_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="certificates_issued",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "team",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="team_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="certificates",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("period_start", fields.DateField()),
                ("period_end", fields.DateField()),
                ("volunteer_name", fields.CharField(max_length=50)),
                ("masked_phone", fields.CharField(max_length=20)),
                ("issuer_team_name", fields.CharField(max_length=100)),
                ("issuer_community_name", fields.CharField(default="", max_length=300)),
                ("centihours", fields.IntField()),
                (
                    "entries",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "revoked_by",
                    fields.ForeignKeyField(
                        "models.Volunteer",
                        source_field="revoked_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="certificates_revoked",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("revoke_reason", fields.CharField(default="", max_length=200)),
            ],
            options={
                "table": "certificate",
                "app": "models",
                "indexes": [Index(fields=["volunteer_id", "issued_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
