"""Step 2 of 3: ``decided_by`` from ``created_by``: "curator:<id>", or "bootstrap" for the first
version, which nobody made. The reverse fills ``created_by`` back from it."""

from django.db import migrations


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
        ("quality", "0002_qualitypolicy_decided_by"),
    ]

    operations = [migrations.RunPython(forward, backward)]
