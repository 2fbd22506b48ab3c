from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_shift_and_event_checks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CatalogVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('n', fields.BigIntField(default=0)),
            ],
            options={'table': 'catalog_version', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
