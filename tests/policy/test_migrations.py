"""The data migrations that move fee policies into the cooperative policy, and quality policies
from ``created_by`` to ``decided_by``, keep every version and every event's link both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from policy.models import CooperativePolicy
from policy.services import policy_create, policy_current
from quality.models import QualityPolicy
from quality.services import policy_current as quality_policy_current
from quality.services import policy_update

pytestmark = pytest.mark.django_db(transaction=True)

LEDGER_BEFORE = ("ledger", "0001_initial")
QUALITY_BEFORE = ("quality", "0001_initial")


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return MigrationExecutor(connection).loader.project_state(list(targets)).apps


def leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_fee_policies_round_trip(carol, make, fund, bob):
    policy_current()
    lower = policy_create(decided_by=f"curator:{carol.user.pk}", fee_bp=500, note="lower")
    version = make.dataset(carol)
    offer = make.offer(carol, version.dataset, price=1000)
    fund(bob, 1000)
    make.purchase(bob, offer)
    before = list(
        CooperativePolicy.objects.order_by("version").values_list(
            "version", "fee_bp", "note", "decided_by", "created_at"
        )
    )
    try:
        old = migrate(LEDGER_BEFORE)
        fees = old.get_model("ledger", "FeePolicy").objects.order_by("version")
        assert [(f.version, f.fee_basis_points, f.note, f.created_by_id) for f in fees] == [
            (1, 1000, "default policy", None),
            (2, 500, "lower", carol.user.pk),
        ]
        event = old.get_model("ledger", "RevenueEvent").objects.get()
        assert fees.get(pk=event.policy_id).version == lower.version
    finally:
        new = migrate(*leaves())

    policies = new.get_model("policy", "CooperativePolicy").objects.order_by("version")
    assert [(p.version, p.fee_bp, p.note, p.decided_by, p.created_at) for p in policies] == before
    event = new.get_model("ledger", "RevenueEvent").objects.get()
    assert policies.get(pk=event.policy_id).version == lower.version


def test_quality_policies_round_trip(carol):
    quality_policy_current()
    policy_update(decided_by=f"curator:{carol.user.pk}", rules=[], note="none")
    try:
        old = migrate(QUALITY_BEFORE)
        rows = old.get_model("quality", "QualityPolicy").objects.order_by("number")
        assert [(p.number, p.created_by_id) for p in rows] == [(1, None), (2, carol.user.pk)]
    finally:
        migrate(*leaves())

    assert list(QualityPolicy.objects.order_by("number").values_list("number", "decided_by")) == [
        (1, "bootstrap"),
        (2, f"curator:{carol.user.pk}"),
    ]
