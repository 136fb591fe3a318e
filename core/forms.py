"""Form fields shared by every app's forms."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.money import MoneyInputError, format_money, parse_money, typed_money


class MoneyField(forms.CharField):
    """An amount typed as people write it ("12.50"), cleaned to integer minor units (1250).

    ``currency`` decides the decimal places (every currency the cooperative uses has 2); the
    bounds are in minor units and their messages are shown as money.
    """

    def __init__(
        self,
        *,
        currency: str = "EUR",
        min_value: int | None = 0,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.currency = currency
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        try:
            return parse_money(text, self.currency)
        except MoneyInputError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                f"The amount must be at least {format_money(self.min_value, self.currency)}.",
                code="min_value",
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                f"The amount must be at most {format_money(self.max_value, self.currency)}.",
                code="max_value",
            )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return typed_money(value, self.currency)
        return value
