"""Web forms for signing up, editing roles and naming API tokens."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Member


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False)
    display_name = forms.CharField(max_length=150, required=False)
    is_contributor = forms.BooleanField(required=False, initial=True, label="Contributor")
    is_buyer = forms.BooleanField(required=False, initial=True, label="Buyer")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("is_contributor") or data.get("is_buyer")):
            raise forms.ValidationError("Choose at least one role: contributor or buyer.")
        return data


class RolesForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ("display_name", "is_contributor", "is_buyer")
        labels = {"is_contributor": "Contributor", "is_buyer": "Buyer"}


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'training box'.")
