from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_accounts_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RateLimitUsage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('caller', fields.CharField(max_length=150)),
                ('hour', fields.BigIntField()),
                ('points', fields.BigIntField(default=0)),
            ],
            options={'table': 'rate_limit_usage', 'app': 'models', 'unique_together': (('caller', 'hour'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
