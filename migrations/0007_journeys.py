from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_volunteer_language')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Signup',
            name='cancelled_late',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Team',
            name='join_approval',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # TeamRole gains PENDING (join approval): stored as text, no column change.
        ops.AddField(
            model_name='Volunteer',
            name='added_by',
            field=fields.ForeignKeyField('models.Volunteer', source_field='added_by_id', null=True, db_constraint=True, to_field='id', related_name='added', on_delete=OnDelete.SET_NULL),
        ),
    ]
