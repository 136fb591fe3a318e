"""Step 3 of 3: ``decided_by`` becomes required and ``created_by`` goes: a version decided by a
motion has no user to name, and a column new versions never fill would mislead."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_qualitypolicy_decided_by_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="qualitypolicy",
            name="decided_by",
            field=models.CharField(max_length=100),
        ),
        migrations.RemoveField(model_name="qualitypolicy", name="created_by"),
    ]
