"""Revenue events move from ledger.FeePolicy to policy.CooperativePolicy, step 1 of 3: the new
column, nullable, beside the old one (made nullable too, so the step can be reversed with rows
in place). The data moves in 0003, in its own transaction: PostgreSQL cannot alter a table
whose deferred foreign-key checks are still pending from an update."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("policy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="revenueevent",
            name="cooperative_policy",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policy.cooperativepolicy",
            ),
        ),
        migrations.AlterField(
            model_name="revenueevent",
            name="policy",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.feepolicy",
            ),
        ),
    ]
