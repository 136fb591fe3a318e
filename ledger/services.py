"""Writes to the ledger: accounts, balanced transactions, top-ups, sales.

Every write here joins the caller's transaction, so a sale's ledger rows commit or roll back
together with the purchase that caused them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from accounts.selectors import is_curator
from core.errors import Forbidden, Invalid
from ledger import money
from ledger.models import (
    Account,
    AccountKind,
    Currency,
    LedgerEntry,
    LedgerTransaction,
    RevenueEvent,
    RevenueEventKind,
    TransactionKind,
)
from ledger.selectors import member_balance
from policy.models import CooperativePolicy
from policy.services import policy_current
from transparency.services import record_append


class LedgerError(Invalid):
    """A posting that would break the books, with a message for a person."""


def account_for(
    *,
    kind: str,
    currency: str,
    user: User | None = None,
    version_id: int | None = None,
) -> Account:
    if currency not in Currency.values:
        raise LedgerError(f"Unknown currency {currency!r}.")
    account, _ = Account.objects.get_or_create(
        kind=kind, currency=currency, user=user, version_id=version_id
    )
    return account


def member_account_locked(*, user: User, currency: str) -> Account:
    """The member's account, row-locked until the caller's transaction ends, so a balance read
    after this cannot be spent twice by concurrent purchases."""
    account = account_for(kind=AccountKind.MEMBER, currency=currency, user=user)
    return Account.objects.select_for_update().get(pk=account.pk)


def transaction_post(
    *,
    kind: str,
    currency: str,
    reference: str,
    entries: Sequence[tuple[Account, int]],
    memo: str = "",
    created_by: User | None = None,
) -> LedgerTransaction:
    """Post balanced entries; refuses anything that does not sum to zero."""
    entries = [(account, amount) for account, amount in entries if amount != 0]
    if sum(amount for _, amount in entries) != 0:
        raise LedgerError("Ledger entries must sum to zero.")
    if any(account.currency != currency for account, _ in entries):
        raise LedgerError("All entries of a transaction must be in its currency.")
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(
            kind=kind, currency=currency, reference=reference, memo=memo, created_by=created_by
        )
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=txn, account=account, amount=amt) for account, amt in entries]
        )
    return txn


@dataclass(frozen=True)
class TopUp:
    transaction: LedgerTransaction
    balance: int


def credits_top_up(
    *,
    curator: User,
    member: User,
    amount: int,
    currency: str = "EUR",
    note: str = "",
) -> TopUp:
    """A curator adds cooperative credit to a member's balance."""
    if not is_curator(curator):
        raise Forbidden("Only curators can top up credits.")
    if amount <= 0:
        raise LedgerError("The amount must be a positive number of minor units.")
    with transaction.atomic():
        target = member_account_locked(user=member, currency=currency)
        issuance = account_for(kind=AccountKind.ISSUANCE, currency=currency)
        txn = transaction_post(
            kind=TransactionKind.TOP_UP,
            currency=currency,
            reference=f"member:{member.pk}",
            entries=[(issuance, -amount), (target, amount)],
            memo=note[:300],
            created_by=curator,
        )
        balance = member_balance(member, currency)
        record_append(
            kind="credit_top_up",
            subject=f"member:{member.pk}",
            payload={
                "member": member.pk,
                "amount": amount,
                "currency": currency,
                "by": curator.pk,
                "ledger_transaction": txn.pk,
            },
        )
    return TopUp(transaction=txn, balance=balance)


@dataclass(frozen=True)
class Sale:
    transaction: LedgerTransaction
    fee: int
    policy: CooperativePolicy
    events: list[RevenueEvent]


def sale_post(
    *,
    payer_account: Account,
    price: int,
    currency: str,
    version_ids: Sequence[int],
    reference: str,
    created_by: User | None = None,
) -> Sale:
    """Book a sale: the payer pays ``price``; the fee goes to the treasury and the rest is held
    for the versions sold, in equal parts (largest remainder, lower version id first). One
    ``RevenueEvent`` per version waits for the split along provenance."""
    if price <= 0:
        raise LedgerError("A sale needs a positive price.")
    if not version_ids:
        raise LedgerError("A sale must name the versions sold.")
    versions = sorted(set(version_ids))
    policy = policy_current()
    fee, _rest = money.fee_split(price, policy.fee_bp)
    gross_parts = money.apportion(price, [1] * len(versions))
    fee_parts = money.apportion(fee, [1] * len(versions))
    with transaction.atomic():
        treasury = account_for(kind=AccountKind.TREASURY, currency=currency)
        entries: list[tuple[Account, int]] = [(payer_account, -price), (treasury, fee)]
        for version_id, gross, part_fee in zip(versions, gross_parts, fee_parts, strict=True):
            held = account_for(
                kind=AccountKind.VERSION_REVENUE, currency=currency, version_id=version_id
            )
            entries.append((held, gross - part_fee))
        txn = transaction_post(
            kind=TransactionKind.PURCHASE,
            currency=currency,
            reference=reference,
            entries=entries,
            created_by=created_by,
        )
        events = RevenueEvent.objects.bulk_create(
            [
                RevenueEvent(
                    kind=RevenueEventKind.SALE,
                    version_id=version_id,
                    currency=currency,
                    gross=gross,
                    fee=part_fee,
                    amount=gross - part_fee,
                    policy=policy,
                    transaction=txn,
                    reference=reference,
                )
                for version_id, gross, part_fee in zip(
                    versions, gross_parts, fee_parts, strict=True
                )
            ]
        )
    return Sale(transaction=txn, fee=fee, policy=policy, events=events)
