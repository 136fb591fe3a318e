"""Ledger services: balanced postings, top-ups and sales (the fee policy: tests/policy)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from ledger import services
from ledger.models import Account, AccountKind, LedgerEntry, RevenueEvent
from ledger.selectors import member_balance, member_balances, transaction_sum, treasury_balance

pytestmark = pytest.mark.django_db


def test_unbalanced_postings_are_refused(bob):
    account = services.account_for(kind=AccountKind.MEMBER, currency="EUR", user=bob.user)
    treasury = services.account_for(kind=AccountKind.TREASURY, currency="EUR")

    with pytest.raises(services.LedgerError, match="sum to zero"):
        services.transaction_post(
            kind="top_up", currency="EUR", reference="x", entries=[(account, 5), (treasury, -4)]
        )
    usd = services.account_for(kind=AccountKind.TREASURY, currency="USD")
    with pytest.raises(services.LedgerError, match="currency"):
        services.transaction_post(
            kind="top_up", currency="EUR", reference="x", entries=[(account, 5), (usd, -5)]
        )
    assert not LedgerEntry.objects.exists()


def test_top_ups_per_currency(bob, carol):
    services.credits_top_up(curator=carol.user, member=bob.user, amount=300)
    top_up = services.credits_top_up(curator=carol.user, member=bob.user, amount=200)
    services.credits_top_up(curator=carol.user, member=bob.user, amount=50, currency="USD")

    assert top_up.balance == 500
    assert member_balance(bob.user) == 500
    assert member_balances(bob.user) == {"EUR": 500, "USD": 50}
    assert transaction_sum(top_up.transaction.pk) == 0
    assert LedgerEntry.objects.aggregate(s=Sum("amount"))["s"] == 0
    with pytest.raises(PermissionDenied):
        services.credits_top_up(curator=bob.user, member=bob.user, amount=1)
    with pytest.raises(services.LedgerError):
        services.credits_top_up(curator=carol.user, member=bob.user, amount=0)


def test_a_sale_books_fee_and_held_revenue(alice, bob, carol, make):
    v1 = make.dataset(alice)
    v2 = make.version(alice, v1.dataset)
    services.credits_top_up(curator=carol.user, member=bob.user, amount=10_000)
    payer = services.member_account_locked(user=bob.user, currency="EUR")

    sale = services.sale_post(
        payer_account=payer,
        price=999,
        currency="EUR",
        version_ids=[v2.pk, v1.pk],
        reference="purchase:test",
    )

    assert sale.fee == 100  # 99.9 rounds to 100
    assert transaction_sum(sale.transaction.pk) == 0
    assert treasury_balance() == 100
    held = {
        a.version_id: sum(e.amount for e in a.entries.all())
        for a in Account.objects.filter(kind=AccountKind.VERSION_REVENUE)
    }
    # 999 in two equal parts by largest remainder: the lower version id gets the odd unit.
    assert held == {v1.pk: 450, v2.pk: 449}
    events = {e.version_id: (e.gross, e.fee, e.amount) for e in RevenueEvent.objects.all()}
    assert events == {v1.pk: (500, 50, 450), v2.pk: (499, 50, 449)}
