"""``{% load money %}`` then ``{{ offer.price|money:offer.currency }}`` → ``EUR 12.50``: the one
way pages and e-mails show an amount (see core.money)."""

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(amount: int | None, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency)
