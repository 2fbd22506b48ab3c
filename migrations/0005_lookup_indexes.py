from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0004_notification_delivery")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["team_id", "starts_at"]),
        ),
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["community_id", "starts_at"]),
        ),
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["series_id"]),
        ),
        ops.AddIndex(
            model_name="HoursEntry",
            index=Index(fields=["volunteer_id"]),
        ),
        ops.AddIndex(
            model_name="HoursEntry",
            index=Index(fields=["signup_id"]),
        ),
        ops.AddIndex(
            model_name="Shift",
            index=Index(fields=["event_id", "starts_at"]),
        ),
        ops.AddIndex(
            model_name="TeamMembership",
            index=Index(fields=["volunteer_id", "role"]),
        ),
        # 0002 rebuilt "event" on SQLite to add its CHECK constraint, and the rebuild dropped
        # the event list's index made by 0001. Same name as 0001's, so a no-op on PostgreSQL.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_event_status_fff538" ON "event" ("status", "starts_at")',
            reverse_sql="SELECT 1",
        ),
    ]
