from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


# The change feed (`Query.changes`): `updated_at` on shifts, teams and communities (events
# have it), the change log the triggers of api.infra.change_log write, and the horizon the
# retention job moves (a cursor before it has missed entries: CURSOR_EXPIRED).
class Migration(migrations.Migration):
    dependencies = [('models', '0014_rate_limits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChangeLogEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('typename', fields.CharField(max_length=32)),
                ('object_id', fields.IntField()),
                ('kind', fields.CharField(max_length=8)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('xact_id', fields.BigIntField(default=0, db_default=0)),
                ('public', fields.BooleanField(default=True, db_default=True)),
                ('team_id', fields.IntField(null=True)),
                ('became_public', fields.BooleanField(default=False, db_default=False)),
            ],
            options={'table': 'change_log', 'app': 'models', 'indexes': [Index(fields=['xact_id', 'id']), Index(fields=['typename', 'object_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChangeLogHorizon',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('xact_id', fields.BigIntField(default=0)),
                ('entry_id', fields.BigIntField(default=0)),
                ('pruned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'change_log_horizon', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Community',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Event',
            index=Index(fields=['updated_at']),
        ),
        ops.AddField(
            model_name='Shift',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Team',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        # makemigrations also proposed AlterField(TeamMembership.role), as for 0008: left out
        # (only the column's description changes; on SQLite it would rebuild the table).
        # Rows made before this migration: the best time known (the triggers of
        # api.infra.change_log keep the columns from here on, whatever writes the rows).
        ops.RunSQL(
            [
                "UPDATE community SET updated_at = created_at",
                "UPDATE team SET updated_at = created_at",
                "UPDATE shift SET updated_at = "
                "(SELECT event.updated_at FROM event WHERE event.id = shift.event_id)",
            ],
            reverse_sql="SELECT 1",
        ),
    ]
