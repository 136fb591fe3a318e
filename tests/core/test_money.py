"""Money shown and typed as people do: one formatter, one parser, one form field."""

import pytest
from django import forms
from django.template import Context, Template

from core.forms import MoneyField
from core.money import MoneyInputError, format_money, parse_money


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (1250, "EUR 12.50"),
        (0, "EUR 0.00"),
        (5, "EUR 0.05"),
        (123456789, "EUR 1,234,567.89"),
        (-1250, "EUR -12.50"),
    ],
)
def test_amounts_read_as_money(amount, text):
    assert format_money(amount, "EUR") == text


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("12.50", 1250), ("12,50", 1250), ("12", 1200), ("12.5", 1250), (" 0.07 ", 7), ("12.", 1200)],
)
def test_typed_amounts_are_read_exactly(typed, minor):
    assert parse_money(typed, "EUR") == minor


@pytest.mark.parametrize("typed", ["12.505", "-3", "1e3", "abc", "", "1,250.00", "12.50 EUR"])
def test_anything_else_is_refused_with_a_reason(typed):
    with pytest.raises(MoneyInputError):
        parse_money(typed, "EUR")


def test_the_template_filter_is_the_formatter():
    template = Template("{% load money %}{{ a|money:'USD' }} / {{ b|money }} / {{ c|money }}")
    rendered = template.render(Context({"a": 99900, "b": 1250, "c": None}))
    assert rendered == "USD 999.00 / EUR 12.50 / "


class PriceForm(forms.Form):
    price = MoneyField(min_value=0, max_value=100_000)


def test_the_form_field_cleans_to_minor_units_and_shows_them_back():
    form = PriceForm(data={"price": "12.50"})
    assert form.is_valid()
    assert form.cleaned_data == {"price": 1250}
    assert 'value="12.50"' in str(PriceForm(initial={"price": 1250})["price"])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.505", "EUR has 2 decimal places; '12.505' has 3."),
        ("twelve", "Enter an amount like 12.55 (digits, and a point for cents)."),
        ("1000.01", "The amount must be at most EUR 1,000.00."),
    ],
)
def test_the_form_field_explains_a_refusal(typed, message):
    form = PriceForm(data={"price": typed})
    assert not form.is_valid()
    assert form.errors == {"price": [message]}
