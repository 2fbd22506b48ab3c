from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0003_catalog_version")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Notification",
            name="delivered_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Notification",
            name="delivery_attempts",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="Notification",
            name="next_delivery_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name="Notification",
            index=Index(fields=["delivered_at", "next_delivery_at"]),
        ),
        # Notifications made before this migration were handed to the channels already.
        ops.RunSQL(
            "UPDATE notification SET delivered_at = created_at WHERE delivered_at IS NULL",
            reverse_sql="SELECT 1",
        ),
    ]
