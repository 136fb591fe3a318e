"""Quality policy versions record who decided them (``decided_by``, an opaque reference such as
"curator:7") instead of the user who saved them, step 1 of 3: the column, nullable. It is
filled in by 0003 and made required by 0004, each in its own transaction: PostgreSQL cannot
alter a table whose deferred foreign-key checks are still pending from an update."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="qualitypolicy",
            name="decided_by",
            field=models.CharField(max_length=100, null=True),
        ),
    ]
