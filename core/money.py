"""Money as people read and type it. Amounts are integer minor units everywhere in the code
and the API; only pages, e-mails and forms meet people, and they go through here: ``1250``
in EUR is shown as ``EUR 12.50``, and ``12.50`` typed into a form is read back as ``1250``.
Decimal only: a float never touches money.
"""

import re
from decimal import Decimal

# Digits after the decimal point of each currency's minor unit, where it is not 2 (the
# cooperative's currencies today all have cents).
MINOR_DIGITS: dict[str, int] = {}

# What a person may type: whole units, then optionally a point (or a decimal comma) and the
# minor digits. No signs, exponents or thousands separators: a form never takes a negative
# amount, and "1,250" would be ambiguous.
_TYPED = re.compile(r"^(?P<whole>\d+)(?:[.,](?P<minor>\d*))?$")


class MoneyInputError(ValueError):
    """Text that is not an amount of money; the message says what would be."""


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def format_money(amount: int, currency: str) -> str:
    """``format_money(1250, "EUR")`` → ``"EUR 12.50"``; thousands are grouped
    (``"EUR 1,234.50"``) and a negative amount reads ``"EUR -12.50"``."""
    digits = minor_digits(currency)
    value = Decimal(int(amount)).scaleb(-digits)
    return f"{currency} {value:,.{digits}f}"


def parse_money(text: str, currency: str) -> int:
    """``parse_money("12.50", "EUR")`` → ``1250``. Raises ``MoneyInputError``."""
    digits = minor_digits(currency)
    match = _TYPED.match(text.strip())
    if match is None:
        example = "12" if digits == 0 else "12." + "5" * digits
        raise MoneyInputError(f"Enter an amount like {example} (digits, and a point for cents).")
    minor = match["minor"] or ""
    if len(minor) > digits:
        raise MoneyInputError(
            f"{currency} has {digits} decimal places; {text.strip()!r} has {len(minor)}."
        )
    return int(match["whole"]) * 10**digits + int(minor.ljust(digits, "0") or 0)


def typed_money(amount: int, currency: str) -> str:
    """The form's initial text for an amount: ``1250`` → ``"12.50"`` (no grouping)."""
    digits = minor_digits(currency)
    return f"{Decimal(int(amount)).scaleb(-digits):.{digits}f}"
