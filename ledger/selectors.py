"""Reads of the ledger: balances are sums of entries, never stored."""

from django.contrib.auth.models import User
from django.db.models import Sum

from ledger.models import DEFAULT_CURRENCY, Account, AccountKind, LedgerEntry


def account_balance(account: Account | int) -> int:
    account_id = account if isinstance(account, int) else account.pk
    total = LedgerEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def member_balance(user: User, currency: str = DEFAULT_CURRENCY) -> int:
    total = LedgerEntry.objects.filter(
        account__kind=AccountKind.MEMBER, account__user_id=user.pk, account__currency=currency
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def member_balances(user: User) -> dict[str, int]:
    """Every currency the member holds an account in, with the default always present."""
    rows = (
        LedgerEntry.objects.filter(account__kind=AccountKind.MEMBER, account__user_id=user.pk)
        .values("account__currency")
        .annotate(s=Sum("amount"))
    )
    balances = {DEFAULT_CURRENCY: 0}
    balances.update({row["account__currency"]: int(row["s"] or 0) for row in rows})
    return dict(sorted(balances.items()))


def treasury_balance(currency: str = DEFAULT_CURRENCY) -> int:
    total = LedgerEntry.objects.filter(
        account__kind=AccountKind.TREASURY, account__currency=currency
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def transaction_sum(transaction_id: int) -> int:
    total = LedgerEntry.objects.filter(transaction_id=transaction_id).aggregate(s=Sum("amount"))
    return int(total["s"] or 0)
