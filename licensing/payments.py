"""How a purchase is paid for, behind one small interface.

The purchase service asks a ``PaymentProvider`` to take the price from the buyer inside its own
database transaction, and gets back the ledger account to debit. The cooperative-credit provider
debits the member's credit balance; a card or bank provider would charge outside and return the
cooperative's external-payments account instead. Swapping providers changes nothing else.
"""

from typing import Protocol

from django.contrib.auth.models import User

from core.errors import PaymentRequired
from ledger import services as ledger
from ledger.models import Account
from ledger.selectors import account_balance


class PaymentDeclined(PaymentRequired):
    """The provider refused the charge; nothing was taken."""


class InsufficientFunds(PaymentDeclined):
    def __init__(self, *, balance: int, amount: int, currency: str) -> None:
        super().__init__(
            f"Insufficient balance: this costs {amount} {currency} minor units but your "
            f"balance is {balance}. Ask a curator to top up your credits."
        )
        self.balance = balance
        self.amount = amount
        self.currency = currency


class PaymentProvider(Protocol):
    name: str

    def charge(self, *, payer: User, amount: int, currency: str, reference: str) -> Account:
        """Take ``amount`` from ``payer`` as part of the caller's transaction and return the
        ledger account the purchase debits. Raise ``PaymentDeclined`` to refuse."""
        ...


class CooperativeCredit:
    """Pay from the member's cooperative credit balance (topped up by curators)."""

    name = "cooperative_credit"

    def charge(self, *, payer: User, amount: int, currency: str, reference: str) -> Account:
        # Locking the account row serialises a member's concurrent purchases, so the balance
        # read below cannot be spent twice.
        account = ledger.member_account_locked(user=payer, currency=currency)
        balance = account_balance(account)
        if balance < amount:
            raise InsufficientFunds(balance=balance, amount=amount, currency=currency)
        return account


def default_provider() -> PaymentProvider:
    return CooperativeCredit()
