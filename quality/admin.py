from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.selectors import is_curator
from quality import services
from quality.models import (
    DatasetRules,
    QualityOverride,
    QualityPolicy,
    QualityReport,
    VersionProfile,
)
from quality.rules import RuleError, validate_rules


class PolicyAdminForm(forms.ModelForm):
    class Meta:
        model = QualityPolicy
        fields = ["rules", "note"]

    def clean_rules(self) -> Any:
        try:
            return validate_rules(self.cleaned_data["rules"], allow_all_columns=True)
        except RuleError as exc:
            raise forms.ValidationError(exc.messages) from exc


@admin.register(QualityPolicy)
class QualityPolicyAdmin(admin.ModelAdmin):
    """Saving never edits a policy in place: it makes the next version (reports keep theirs),
    decided by the curator who saves it. Only curators may (the service leaves that to its
    callers)."""

    form = PolicyAdminForm
    list_display = ["number", "decided_by", "created_at", "note"]
    readonly_fields = ["number", "decided_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_curator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_curator(request.user)

    def save_model(self, request: HttpRequest, obj: QualityPolicy, form: Any, change: bool) -> None:
        new = services.policy_update(
            decided_by=f"curator:{request.user.pk}",
            rules=form.cleaned_data["rules"],
            note=form.cleaned_data.get("note", ""),
        )
        obj.pk, obj.number = new.pk, new.number

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DatasetRules)
class DatasetRulesAdmin(admin.ModelAdmin):
    list_display = ["dataset", "revision", "updated_by", "updated_at"]
    raw_id_fields = ["dataset"]


@admin.register(QualityReport)
class QualityReportAdmin(admin.ModelAdmin):
    list_display = ["pk", "version", "verdict", "policy", "rules_revision", "created_at"]
    list_filter = ["verdict"]
    raw_id_fields = ["version"]
    list_select_related = ["version__dataset", "policy"]


@admin.register(QualityOverride)
class QualityOverrideAdmin(admin.ModelAdmin):
    list_display = ["report", "decision", "curator", "created_at"]
    raw_id_fields = ["report"]


@admin.register(VersionProfile)
class VersionProfileAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at"]
    raw_id_fields = ["version"]
