"""GET /api/v1/me/ and POST /api/v1/members/{id}/credits/ (curators only)."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from ledger.selectors import member_balance
from transparency.models import ProvenanceRecord

pytestmark = pytest.mark.django_db


def test_me(bob, api_as, fund):
    fund(bob, 700)

    response = api_as(bob).get("/api/v1/me/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": bob.user.pk,
        "username": "bob",
        "roles": ["buyer"],
        "balance": 700,
        "currency": "EUR",
        "balances": {"EUR": 700},
    }


def test_a_curator_tops_up_credit(bob, carol, api_as):
    response = api_as(carol).post(
        f"/api/v1/members/{bob.user.pk}/credits/",
        {"amount": 5000, "note": "welcome"},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    txn = LedgerTransaction.objects.get()
    assert response.json() == {
        "member": bob.user.pk,
        "amount": 5000,
        "currency": "EUR",
        "balance": 5000,
        "transaction": txn.pk,
    }
    assert sorted((e.account.kind, e.amount) for e in txn.entries.all()) == [
        (AccountKind.ISSUANCE, -5000),
        (AccountKind.MEMBER, 5000),
    ]
    assert (txn.kind, txn.memo, txn.created_by_id) == ("top_up", "welcome", carol.user.pk)
    assert member_balance(bob.user) == 5000
    record = ProvenanceRecord.objects.get(kind="credit_top_up")
    assert record.payload == {
        "member": bob.user.pk,
        "amount": 5000,
        "currency": "EUR",
        "by": carol.user.pk,
        "ledger_transaction": txn.pk,
    }


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"amount": 0}, "amount: Ensure this value is greater than or equal to 1."),
        ({"amount": -5}, "amount: Ensure this value is greater than or equal to 1."),
        ({}, "amount: This field is required."),
        ({"amount": 5, "currency": "XXX"}, 'currency: "XXX" is not a valid choice.'),
    ],
)
def test_bad_amounts_are_400(bob, carol, api_as, body, detail):
    response = api_as(carol).post(f"/api/v1/members/{bob.user.pk}/credits/", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert not LedgerEntry.objects.exists()


def test_only_curators_top_up(bob, mallory, api_as):
    for who in (bob, mallory):
        response = api_as(who).post(
            f"/api/v1/members/{bob.user.pk}/credits/", {"amount": 10}, format="json"
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json() == {"detail": "Only curators can top up credits."}
    assert not LedgerEntry.objects.exists()


def test_unknown_member_is_404(carol, api_as):
    for member_id in (999999, 2**70):
        response = api_as(carol).post(
            f"/api/v1/members/{member_id}/credits/", {"amount": 10}, format="json"
        )
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "No such member."}


def test_anonymous_is_401(bob):
    assert APIClient().get("/api/v1/me/").status_code == HTTPStatus.UNAUTHORIZED
    response = APIClient().post(f"/api/v1/members/{bob.user.pk}/credits/", {"amount": 1})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
