"""POST /api/v1/purchases/ (idempotent, paid from credit) and GET /api/v1/grants/."""

from http import HTTPStatus

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from ledger.models import LedgerEntry, LedgerTransaction, RevenueEvent
from ledger.selectors import member_balance, transaction_sum
from licensing.models import AccessGrant, Purchase
from marketplace.models import VersionStatus
from transparency.models import ProvenanceRecord

pytestmark = pytest.mark.django_db


def buy(client, offer_id, key="key-1", **extra):
    return client.post(
        "/api/v1/purchases/", {"offer": offer_id}, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra
    )


def counts() -> tuple[int, int, int, int, int]:
    return (
        Purchase.objects.count(),
        AccessGrant.objects.count(),
        LedgerTransaction.objects.filter(kind="purchase").count(),
        LedgerEntry.objects.filter(transaction__kind="purchase").count(),
        RevenueEvent.objects.count(),
    )


@pytest.fixture
def offer(alice, make):
    version = make.dataset(alice)
    return make.offer(alice, version.dataset, price=1250)


def test_the_same_key_twice_is_one_purchase_and_one_charge(bob, api_as, offer, fund):
    fund(bob, 5000)
    client = api_as(bob)

    first = buy(client, offer.pk)
    again = buy(client, offer.pk)

    assert first.status_code == HTTPStatus.CREATED
    assert again.status_code == HTTPStatus.OK
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts() == (1, 1, 1, 3, 1)
    assert member_balance(bob.user) == 5000 - 1250
    txn_id = Purchase.objects.get().ledger_transaction_id
    assert txn_id is not None
    assert transaction_sum(txn_id) == 0
    assert ProvenanceRecord.objects.filter(kind="purchase").count() == 1


def test_the_same_key_with_another_body_is_409(alice, bob, api_as, offer, make, fund):
    other = make.offer(alice, offer.dataset, use="commercial", price=100)
    fund(bob, 5000)
    client = api_as(bob)
    assert buy(client, offer.pk).status_code == HTTPStatus.CREATED

    response = buy(client, other.pk)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "detail": "This Idempotency-Key was already used for a different request; "
        "use a new key for a new purchase."
    }
    assert counts() == (1, 1, 1, 3, 1)
    assert member_balance(bob.user) == 5000 - 1250


def test_keys_are_per_buyer(bob, carol, api_as, offer, fund):
    fund(bob, 5000)
    fund(carol, 5000)

    assert buy(api_as(bob), offer.pk, key="shared").status_code == HTTPStatus.CREATED
    assert buy(api_as(carol), offer.pk, key="shared").status_code == HTTPStatus.CREATED
    assert counts() == (2, 2, 2, 6, 2)


def test_insufficient_balance_is_402_and_writes_nothing(bob, api_as, offer, fund):
    fund(bob, 1000)
    records = ProvenanceRecord.objects.count()

    response = buy(api_as(bob), offer.pk)

    assert response.status_code == HTTPStatus.PAYMENT_REQUIRED
    assert response.json() == {
        "detail": "Insufficient balance: this costs 1250 EUR minor units but your balance is "
        "1000. Ask a curator to top up your credits."
    }
    assert counts() == (0, 0, 0, 0, 0)
    assert member_balance(bob.user) == 1000
    assert ProvenanceRecord.objects.count() == records
    # After a top-up the same key can be used: nothing was recorded against it.
    fund(bob, 250)
    assert buy(api_as(bob), offer.pk).status_code == HTTPStatus.CREATED
    assert member_balance(bob.user) == 0


def test_a_free_offer_still_records_a_grant_but_moves_no_money(alice, bob, api_as, make):
    version = make.dataset(alice)
    free = make.offer(alice, version.dataset, price=0, duration_days=None)

    response = buy(api_as(bob), free.pk)

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert (body["price"], body["fee"], body["ledger_transaction"]) == (0, 0, None)
    assert body["grant"]["expires_at"] is None
    assert counts() == (1, 1, 0, 0, 0)


def test_fee_rounding_and_two_versions(alice, bob, api_as, make, fund):
    v1 = make.dataset(alice)
    v2 = make.version(alice, v1.dataset)
    offer = make.offer(alice, v1.dataset, price=1255)
    fund(bob, 5000)

    assert buy(api_as(bob), offer.pk).status_code == HTTPStatus.CREATED

    purchase = Purchase.objects.get()
    # 10 % of 1255 is 125.5: the fee rounds half up to 126; the rest, 1129, is held for the two
    # versions in equal parts by largest remainder: the lower version id gets the odd unit.
    assert purchase.fee == 126
    events = {e.version_id: (e.gross, e.fee, e.amount) for e in RevenueEvent.objects.all()}
    assert events == {v1.pk: (628, 63, 565), v2.pk: (627, 63, 564)}
    assert (
        LedgerEntry.objects.filter(transaction=purchase.ledger_transaction).aggregate(
            s=Sum("amount")
        )["s"]
        == 0
    )
    assert sorted(AccessGrant.objects.get().versions.values_list("pk", flat=True)) == [
        v1.pk,
        v2.pk,
    ]


@pytest.mark.parametrize(
    ("headers", "body", "detail"),
    [
        ({}, {"offer": 1}, "The Idempotency-Key header is required."),
        ({"HTTP_IDEMPOTENCY_KEY": "  "}, {"offer": 1}, "The Idempotency-Key header is required."),
        (
            {"HTTP_IDEMPOTENCY_KEY": "k" * 256},
            {"offer": 1},
            "The Idempotency-Key header is too long (max 255).",
        ),
        ({"HTTP_IDEMPOTENCY_KEY": "k"}, {}, "offer: This field is required."),
        ({"HTTP_IDEMPOTENCY_KEY": "k"}, {"offer": "x"}, "offer: A valid integer is required."),
        ({"HTTP_IDEMPOTENCY_KEY": "k"}, {"offer": 999999}, "offer: No such offer."),
    ],
)
def test_bad_requests_are_400(bob, api_as, offer, headers, body, detail):
    response = api_as(bob).post("/api/v1/purchases/", body, format="json", **headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert counts() == (0, 0, 0, 0, 0)


def test_malformed_json_is_400(bob, api_as, offer):
    response = api_as(bob).post(
        "/api/v1/purchases/",
        data="{offer: 1",
        HTTP_IDEMPOTENCY_KEY="k",
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("JSON parse error")


def test_withdrawn_offers_and_unadmitted_datasets_cannot_be_bought(
    alice, bob, api_as, make, offer, fund
):
    from licensing.services import offer_withdraw

    fund(bob, 5000)
    offer_withdraw(user=alice.user, offer=offer)
    response = buy(api_as(bob), offer.pk)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {"detail": "This offer has been withdrawn."}

    version = make.dataset(alice)
    pinned_offer = make.offer(alice, version.dataset, version_ids=[version.pk])
    make.version(alice, version.dataset)
    from marketplace.services import version_set_status

    version_set_status(version, VersionStatus.REJECTED, "withdrawn by a curator")
    response = buy(api_as(bob), pinned_offer.pk, key="k2")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {"detail": "This offer covers no admitted version at the moment."}
    assert counts() == (0, 0, 0, 0, 0)


def test_members_without_the_buyer_role_cannot_buy(alice, api_as, offer):
    response = buy(api_as(alice), offer.pk)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "Only members with the buyer role can buy access."}


def test_anonymous_is_401(offer):
    assert buy(APIClient(), offer.pk).status_code == HTTPStatus.UNAUTHORIZED
    assert APIClient().get("/api/v1/grants/").status_code == HTTPStatus.UNAUTHORIZED


def test_grants_lists_only_the_callers_grants(bob, mallory, api_as, offer, fund):
    fund(bob, 5000)
    buy(api_as(bob), offer.pk)

    mine = api_as(bob).get("/api/v1/grants/")
    theirs = api_as(mallory).get("/api/v1/grants/")

    assert mine.status_code == theirs.status_code == HTTPStatus.OK
    assert [g["id"] for g in mine.json()["results"]] == [AccessGrant.objects.get().pk]
    assert theirs.json() == {"count": 0, "next": None, "previous": None, "results": []}
