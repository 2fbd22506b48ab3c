from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.account import PhoneCodePurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_appointments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PhoneCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, max_length=20)),
                ('purpose', fields.CharEnumField(description='REGISTER: REGISTER\nLOG_IN: LOG_IN\nRESET_PASSWORD: RESET_PASSWORD', enum_type=PhoneCodePurpose, max_length=16)),
                ('code_hash', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('day', fields.CharField(max_length=10)),
                ('sends_today', fields.IntField(default=0)),
            ],
            options={'table': 'phone_code', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PhoneCodeRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client_address', fields.CharField(max_length=64)),
                ('phone', fields.CharField(max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'phone_code_request', 'app': 'models', 'indexes': [Index(fields=['client_address', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(max_length=20)),
                ('purpose', fields.CharField(max_length=32)),
                ('text', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivery_attempts', fields.IntField(default=0)),
                ('next_delivery_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sms_message', 'app': 'models', 'indexes': [Index(fields=['delivered_at', 'next_delivery_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('volunteer', fields.ForeignKeyField('models.Volunteer', source_field='volunteer_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_digest', fields.CharField(unique=True, max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user_session', 'app': 'models', 'indexes': [Index(fields=['volunteer_id', 'expires_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # makemigrations also proposed AlterField(TeamMembership.role) for a new enum value
        # (only the column's description changes). Left out: on SQLite it rebuilds
        # team_membership and drops its (volunteer_id, role) index, for no change in the data.
        ops.AddField(
            model_name='Volunteer',
            name='phone_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
