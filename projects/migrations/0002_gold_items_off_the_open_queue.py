"""Gold items leave the open queue: the queue mixes them in at the project's gold rate."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [
        migrations.RunSQL("UPDATE projects_item SET is_open = false WHERE is_gold", migrations.RunSQL.noop)
    ]
