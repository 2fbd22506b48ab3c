from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddConstraint(
            model_name='Event',
            constraint=CheckConstraint(check='ends_at > starts_at', name='event_ends_after_start'),
        ),
        ops.AddConstraint(
            model_name='Shift',
            constraint=CheckConstraint(check='seats_taken <= capacity', name='shift_seats_within_capacity'),
        ),
        ops.AddConstraint(
            model_name='Shift',
            constraint=CheckConstraint(check='seats_taken >= 0', name='shift_seats_not_negative'),
        ),
        ops.AddConstraint(
            model_name='Shift',
            constraint=CheckConstraint(check='waitlist_count >= 0', name='shift_waitlist_not_negative'),
        ),
        ops.AddConstraint(
            model_name='Shift',
            constraint=CheckConstraint(check='capacity >= 1 AND capacity <= 10000', name='shift_capacity_range'),
        ),
        ops.AddConstraint(
            model_name='Shift',
            constraint=CheckConstraint(check='ends_at > starts_at', name='shift_ends_after_start'),
        ),
    ]
