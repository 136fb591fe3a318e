"""Who may change the cooperative policy is decided by the caller: in the admin, curators."""

from http import HTTPStatus

import pytest
from django.test import Client

from policy.models import CooperativePolicy
from policy.services import policy_current

pytestmark = pytest.mark.django_db

ADD = "/admin/policy/cooperativepolicy/add/"
BODY = {"fee_bp": 500, "data_share_bp": 3000, "max_royalty_stack_bp": 5000, "note": "lower"}


def staff(member) -> Client:
    member.user.is_staff = True
    member.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(member.user)
    return client


def test_only_curators_make_a_new_version(bob, carol):
    from django.contrib.auth.models import Permission

    policy_current()
    for member in (bob, carol):
        member.user.user_permissions.add(*Permission.objects.filter(codename__endswith="policy"))

    refused = staff(bob).post(ADD, BODY)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert CooperativePolicy.objects.count() == 1

    response = staff(carol).post(ADD, BODY)
    assert response.status_code == HTTPStatus.FOUND
    policy = policy_current()
    assert (policy.version, policy.fee_bp, policy.decided_by, policy.note) == (
        2,
        500,
        f"curator:{carol.user.pk}",
        "lower",
    )


def test_the_add_form_starts_from_the_policy_in_force(carol):
    from django.contrib.auth.models import Permission

    carol.user.user_permissions.add(*Permission.objects.filter(codename__endswith="policy"))
    page = staff(carol).get(ADD)
    assert page.status_code == HTTPStatus.OK
    assert page.context["adminform"].form.initial["fee_bp"] == 1000
