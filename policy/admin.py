from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.selectors import is_curator
from policy import services
from policy.models import CooperativePolicy


class PolicyAdminForm(forms.ModelForm):
    class Meta:
        model = CooperativePolicy
        fields = ["fee_bp", "data_share_bp", "max_royalty_stack_bp", "note"]


@admin.register(CooperativePolicy)
class CooperativePolicyAdmin(admin.ModelAdmin):
    """Saving never edits a version in place: it makes the next one, decided by the curator
    who saves it. Only curators may (the service leaves that to its callers)."""

    form = PolicyAdminForm
    list_display = [
        "version",
        "fee_bp",
        "data_share_bp",
        "max_royalty_stack_bp",
        "decided_by",
        "created_at",
        "note",
    ]
    readonly_fields = ["version", "decided_by", "created_at"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new version starts from the one in force."""
        current = services.policy_current()
        return {field: getattr(current, field) for field in services.RATES}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_curator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_curator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CooperativePolicy, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        new = services.policy_create(
            decided_by=f"curator:{request.user.pk}",
            fee_bp=data["fee_bp"],
            data_share_bp=data["data_share_bp"],
            max_royalty_stack_bp=data["max_royalty_stack_bp"],
            note=data.get("note", ""),
        )
        obj.pk, obj.version = new.pk, new.version
