"""Forms for the contributors' offers page and the curators' credit top-up page."""

from typing import Any

from django import forms
from django.contrib.auth.models import User

from accounts.selectors import member_by_username
from ledger.models import DEFAULT_CURRENCY, Currency
from licensing.models import Use
from marketplace.models import Dataset, DatasetVersion, License, VersionStatus


class OfferForm(forms.Form):
    license = forms.ChoiceField(label="Licence (SPDX)", choices=License.choices)
    use = forms.ChoiceField(label="Permitted use", choices=Use.choices)
    price = forms.IntegerField(
        min_value=0, help_text="In minor units (cents): 1250 is 12.50. 0 means free."
    )
    currency = forms.ChoiceField(choices=Currency.choices, initial=DEFAULT_CURRENCY)
    duration_days = forms.IntegerField(
        label="Access duration (days)",
        min_value=1,
        required=False,
        help_text="Leave empty for perpetual access.",
    )
    versions = forms.ModelMultipleChoiceField(
        queryset=DatasetVersion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none to cover every admitted version, now and later.",
    )

    def __init__(self, *args: Any, dataset: Dataset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["license"].initial = dataset.license
        versions = dataset.versions.filter(status=VersionStatus.ADMITTED).order_by("-number")
        self.fields["versions"].queryset = versions  # type: ignore[attr-defined]
        self.fields["versions"].label_from_instance = (  # type: ignore[attr-defined]
            lambda v: f"v{v.number} ({v.cid[:16]}…)"
        )


class CreditForm(forms.Form):
    username = forms.CharField(label="Member (username)", max_length=150)
    amount = forms.IntegerField(min_value=1, help_text="In minor units (cents).")
    currency = forms.ChoiceField(choices=Currency.choices, initial=DEFAULT_CURRENCY)
    note = forms.CharField(max_length=300, required=False)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = member_by_username(username)
        if user is None:
            raise forms.ValidationError("No member with that username.")
        return user
