"""Two requests racing with one Idempotency-Key: exactly one purchase and one charge.

The race is made certain rather than hoped for: a third connection holds the buyer's account
row locked, so both requests get past the "is this key known?" check before either commits.
On PostgreSQL the first then waits for the account lock and the second for the first one's
uncommitted purchase row (the unique key); the test waits until both are blocked in the
database before letting go. It needs PostgreSQL, which CI always uses.
"""

import threading
import time
from http import HTTPStatus

import pytest
from django.db import connection, transaction

from accounts.models import Member
from ledger.models import Account, AccountKind, LedgerTransaction, RevenueEvent
from ledger.selectors import member_balance
from licensing.models import AccessGrant, Purchase
from licensing.services import offer_create
from marketplace.models import Dataset
from tests import factories
from tests.conftest import api_client_for


def admitted_dataset(owner: Member) -> Dataset:
    # The factories queue no task, so the session's worker cannot move the version on while
    # the purchases race.
    return factories.dataset(owner, title="Race", license="CC0-1.0").dataset


def blocked_in_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_on_one_key_buy_once(alice, bob, fund):
    if connection.vendor != "postgresql":
        # Under CI (always PostgreSQL) this runs. SQLite's in-memory test database is shared
        # between threads through a cache whose table locks fail at once ("table is locked")
        # instead of waiting, so two writers cannot even be made to queue there.
        pytest.skip("needs PostgreSQL: SQLite's shared-cache test database cannot queue writers")
    offer = offer_create(
        user=alice.user,
        dataset=admitted_dataset(alice),
        license="CC0-1.0",
        use="research",
        price=1000,
    )
    fund(bob, 5000)
    account = Account.objects.get(kind=AccountKind.MEMBER, user=bob.user)
    clients = [api_client_for(bob), api_client_for(bob)]
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    locked, release = threading.Event(), threading.Event()

    def hold_account_lock() -> None:
        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=account.pk)
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    def buy(client) -> None:
        try:
            response = client.post(
                "/api/v1/purchases/",
                {"offer": offer.pk},
                format="json",
                HTTP_IDEMPOTENCY_KEY="same-key",
            )
            results.append((response.status_code, response.json()))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_account_lock)
    holder.start()
    assert locked.wait(timeout=30)
    buyers = [threading.Thread(target=buy, args=(c,)) for c in clients]
    for thread in buyers:
        thread.start()
    deadline = time.monotonic() + 30
    while blocked_in_database() < 2:
        assert time.monotonic() < deadline, "the two requests never met in the database"
        time.sleep(0.05)
    release.set()
    for thread in [holder, *buyers]:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(code for code, _ in results) == [HTTPStatus.OK, HTTPStatus.CREATED]
    assert results[0][1]["id"] == results[1][1]["id"]
    assert Purchase.objects.count() == 1
    assert AccessGrant.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="purchase").count() == 1
    assert RevenueEvent.objects.count() == 1
    assert member_balance(bob.user) == 5000 - 1000
