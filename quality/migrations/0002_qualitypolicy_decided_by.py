"""Quality policy versions record who decided them (``decided_by``, an opaque reference such as
"curator:7") instead of the user who saved them, step 1 of 2: the column, nullable, filled in
from ``created_by`` ("bootstrap" for the first version, which nobody made)."""

from django.db import migrations, models


def forward(apps, schema_editor):
    QualityPolicy = apps.get_model("quality", "QualityPolicy")
    for policy in QualityPolicy.objects.all():
        policy.decided_by = (
            f"curator:{policy.created_by_id}" if policy.created_by_id else "bootstrap"
        )
        policy.save(update_fields=["decided_by"])


def backward(apps, schema_editor):
    QualityPolicy = apps.get_model("quality", "QualityPolicy")
    for policy in QualityPolicy.objects.all():
        curator = (policy.decided_by or "").removeprefix("curator:")
        policy.created_by_id = int(curator) if curator.isdigit() else None
        policy.save(update_fields=["created_by"])


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
        migrations.RunPython(forward, backward),
    ]
