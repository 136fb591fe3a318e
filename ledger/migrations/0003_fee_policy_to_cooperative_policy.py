"""Step 2 of 3: every fee policy version becomes the cooperative policy version of the same
number (the other rates take their defaults), and each revenue event points at it. A curator's
version is decided by "curator:<id>"; one nobody made (the first, made on first use) by
"bootstrap". The reverse turns them back into fee policies."""

from django.db import migrations

BOOTSTRAP = "bootstrap"


def forward(apps, schema_editor):
    FeePolicy = apps.get_model("ledger", "FeePolicy")
    CooperativePolicy = apps.get_model("policy", "CooperativePolicy")
    RevenueEvent = apps.get_model("ledger", "RevenueEvent")
    for fee in FeePolicy.objects.order_by("version"):
        policy = CooperativePolicy.objects.create(
            version=fee.version,
            fee_bp=fee.fee_basis_points,
            note=fee.note,
            decided_by=f"curator:{fee.created_by_id}" if fee.created_by_id else BOOTSTRAP,
        )
        # auto_now_add stamped the copy; it keeps the date the version was made.
        CooperativePolicy.objects.filter(pk=policy.pk).update(created_at=fee.created_at)
        RevenueEvent.objects.filter(policy_id=fee.pk).update(cooperative_policy_id=policy.pk)


def backward(apps, schema_editor):
    FeePolicy = apps.get_model("ledger", "FeePolicy")
    CooperativePolicy = apps.get_model("policy", "CooperativePolicy")
    RevenueEvent = apps.get_model("ledger", "RevenueEvent")
    for policy in CooperativePolicy.objects.order_by("version"):
        curator = policy.decided_by.removeprefix("curator:")
        fee = FeePolicy.objects.create(
            version=policy.version,
            fee_basis_points=policy.fee_bp,
            note=policy.note,
            created_by_id=int(curator) if curator.isdigit() else None,
        )
        FeePolicy.objects.filter(pk=fee.pk).update(created_at=policy.created_at)
        RevenueEvent.objects.filter(cooperative_policy_id=policy.pk).update(policy_id=fee.pk)
    RevenueEvent.objects.update(cooperative_policy_id=None)
    # Forward again must find none (the versions are unique).
    CooperativePolicy.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_revenueevent_cooperative_policy"),
    ]

    operations = [migrations.RunPython(forward, backward)]
