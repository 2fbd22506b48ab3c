from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_lookup_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Volunteer',
            name='language',
            field=fields.CharField(default='zh-CN', db_default='zh-CN', max_length=10),
        ),
    ]
