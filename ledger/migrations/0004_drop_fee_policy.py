"""Step 3 of 3: the new column takes the old one's name and becomes required; FeePolicy goes
(policy.CooperativePolicy holds the fee from now on)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_fee_policy_to_cooperative_policy"),
    ]

    operations = [
        migrations.RemoveField(model_name="revenueevent", name="policy"),
        migrations.RenameField(
            model_name="revenueevent", old_name="cooperative_policy", new_name="policy"
        ),
        migrations.AlterField(
            model_name="revenueevent",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policy.cooperativepolicy",
            ),
        ),
        migrations.DeleteModel(name="FeePolicy"),
    ]
