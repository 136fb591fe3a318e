"""The cooperative's versioned policy: version 1 on first use, each change a new version that
carries over what it does not change, recorded with who decided it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.errors import Invalid
from policy import services
from policy.models import CooperativePolicy
from transparency.models import ProvenanceRecord

pytestmark = pytest.mark.django_db


def test_the_default_policy_is_created_on_first_use():
    assert not CooperativePolicy.objects.exists()

    policy = services.policy_current()

    assert (policy.version, policy.fee_bp, policy.data_share_bp, policy.max_royalty_stack_bp) == (
        1,
        1000,
        3000,
        5000,
    )
    assert policy.decided_by == "bootstrap"
    assert services.policy_current().pk == policy.pk


def test_the_first_version_comes_from_the_settings(settings):
    settings.COOP_FEE_BASIS_POINTS = 750
    settings.COOP_DATA_SHARE_BASIS_POINTS = 2500
    settings.COOP_MAX_ROYALTY_STACK_BASIS_POINTS = 4000

    policy = services.policy_current()

    assert (policy.fee_bp, policy.data_share_bp, policy.max_royalty_stack_bp) == (750, 2500, 4000)


def test_a_first_version_out_of_range_is_a_configuration_error(settings):
    settings.COOP_FEE_BASIS_POINTS = 12_000
    with pytest.raises(ImproperlyConfigured, match="COOP_FEE_BASIS_POINTS must be between 0"):
        services.policy_current()
    assert not CooperativePolicy.objects.exists()


def test_a_change_is_a_new_version_that_carries_over_the_rest():
    services.policy_current()

    policy = services.policy_create(decided_by="curator:7", fee_bp=500, note=" lower ")

    assert (policy.version, policy.fee_bp, policy.data_share_bp, policy.max_royalty_stack_bp) == (
        2,
        500,
        3000,
        5000,
    )
    assert (policy.note, policy.decided_by) == ("lower", "curator:7")
    assert services.policy_current().pk == policy.pk
    again = services.policy_create(decided_by="motion:12", max_royalty_stack_bp=4500)
    assert (again.version, again.fee_bp, again.max_royalty_stack_bp) == (3, 500, 4500)
    assert CooperativePolicy.objects.count() == 3


def test_the_first_change_bootstraps_version_one_first():
    policy = services.policy_create(decided_by="curator:7", data_share_bp=2000)

    assert policy.version == 2
    assert list(CooperativePolicy.objects.values_list("version", "decided_by")) == [
        (2, "curator:7"),
        (1, "bootstrap"),
    ]


def test_each_new_version_is_appended_to_the_chain():
    policy = services.policy_create(decided_by="curator:7", fee_bp=800, note="lower")

    record = ProvenanceRecord.objects.get(kind="cooperative_policy")
    assert record.subject == f"cooperative_policy:{policy.version}"
    assert record.payload == {
        "version": 2,
        "fee_bp": 800,
        "data_share_bp": 3000,
        "max_royalty_stack_bp": 5000,
        "note": "lower",
        "by": "curator:7",
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"fee_bp": 10_001},
            "fee_bp",
            "The fee_bp must be between 0 and 10000 basis points (0 to 100 %).",
        ),
        (
            {"data_share_bp": -1},
            "data_share_bp",
            "The data_share_bp must be between 0 and 10000 basis points (0 to 100 %).",
        ),
        (
            {"max_royalty_stack_bp": 12.5},
            "max_royalty_stack_bp",
            "The max_royalty_stack_bp must be a whole number of basis points.",
        ),
        (
            {"decided_by": "  "},
            "decided_by",
            'Say who decided the change, e.g. "curator:7" (at most 100 characters).',
        ),
    ],
)
def test_invalid_changes_name_the_field_and_write_nothing(change, field, message):
    services.policy_current()
    records = ProvenanceRecord.objects.count()
    with pytest.raises(Invalid) as refused:
        services.policy_create(**{"decided_by": "curator:7", **change})

    assert (refused.value.field, refused.value.messages) == (field, [message])
    assert CooperativePolicy.objects.count() == 1
    assert ProvenanceRecord.objects.count() == records


def test_the_database_refuses_rates_out_of_range():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CooperativePolicy.objects.create(version=9, fee_bp=10_001, decided_by="test")
