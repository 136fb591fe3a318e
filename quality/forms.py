"""Web forms for rules, the declared schema, the policy and curator overrides. Each validates
through quality.rules, so the form and the API refuse the same things with the same words."""

import json
from typing import Any

from django import forms

from quality.models import Verdict
from quality.rules import (
    DECLARED_TYPES,
    FORM_KINDS,
    SEVERITIES,
    RuleError,
    parse_rules_json,
    parse_schema_text,
    rule_from_form,
)


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.key, k.label) for k in FORM_KINDS], label="Rule")
    column = forms.CharField(required=False, max_length=200)
    severity = forms.ChoiceField(choices=[(s, s) for s in SEVERITIES], initial="critical")
    type_name = forms.ChoiceField(
        choices=[("", "—")] + [(t, t) for t in DECLARED_TYPES], required=False, label="Type"
    )
    mostly = forms.CharField(
        required=False, max_length=20, help_text="Share of rows that must pass, 0 to 1."
    )
    min_value = forms.CharField(required=False, max_length=50, label="Minimum")
    max_value = forms.CharField(required=False, max_length=50, label="Maximum")
    values = forms.CharField(required=False, label="Allowed values", help_text="Comma-separated.")
    regex = forms.CharField(required=False, max_length=500, label="Regular expression")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["rule"] = rule_from_form(
                kind=data["kind"],
                column=data.get("column", ""),
                severity=data.get("severity", "critical"),
                mostly=data.get("mostly", ""),
                min_value=data.get("min_value", ""),
                max_value=data.get("max_value", ""),
                values=data.get("values", ""),
                regex=data.get("regex", ""),
                type_name=data.get("type_name", ""),
            )
        except RuleError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return data


class RulesJsonForm(forms.Form):
    rules_json = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        label="Rules as JSON",
        help_text='A list of {"type": "expect_…", "kwargs": {…}, "severity": "critical" or '
        '"warning"}. Saving replaces all the rules of this dataset.',
    )
    allow_all_columns = False

    def clean_rules_json(self) -> list[dict[str, Any]]:
        try:
            return parse_rules_json(
                self.cleaned_data["rules_json"], allow_all_columns=self.allow_all_columns
            )
        except RuleError as exc:
            raise forms.ValidationError(exc.messages) from exc


class PolicyForm(RulesJsonForm):
    allow_all_columns = True
    note = forms.CharField(required=False, max_length=500, help_text="Why it changes.")


class SchemaForm(forms.Form):
    schema = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Declared columns",
        help_text=f"One per line, name: type (types: {', '.join(DECLARED_TYPES)}). "
        "Leave empty to declare none.",
    )

    def clean_schema(self) -> list[dict[str, str]] | None:
        try:
            return parse_schema_text(self.cleaned_data.get("schema", ""))
        except RuleError as exc:
            raise forms.ValidationError(exc.messages) from exc


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(choices=Verdict.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def rules_text(rules: list[dict[str, Any]]) -> str:
    return json.dumps(rules, indent=2)
