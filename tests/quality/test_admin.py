"""The default quality policy in the admin: a new version per save, made by curators only."""

import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from quality.models import QualityPolicy
from quality.services import policy_current

pytestmark = pytest.mark.django_db

ADD = "/admin/quality/qualitypolicy/add/"
RULE = {
    "type": "expect_table_row_count_to_be_between",
    "kwargs": {"min_value": 2},
    "severity": "critical",
}
BODY = {"rules": json.dumps([RULE]), "note": "two rows"}


def staff(member) -> Client:
    member.user.is_staff = True
    member.user.save(update_fields=["is_staff"])
    member.user.user_permissions.add(*Permission.objects.filter(codename__endswith="qualitypolicy"))
    client = Client()
    client.force_login(member.user)
    return client


def test_only_curators_make_a_new_version(mallory, carol):
    policy_current()

    assert staff(mallory).post(ADD, BODY).status_code == HTTPStatus.FORBIDDEN
    assert QualityPolicy.objects.count() == 1

    assert staff(carol).post(ADD, BODY).status_code == HTTPStatus.FOUND
    policy = policy_current()
    assert (policy.number, policy.rules, policy.note, policy.decided_by) == (
        2,
        [RULE],
        "two rows",
        f"curator:{carol.user.pk}",
    )
