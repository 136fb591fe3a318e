"""Web forms for uploading a new dataset or a new version of one."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from marketplace.models import DatasetVersion, Format, License
from marketplace.services import ParentSpec

PARENT_LINE = re.compile(r"^\s*(\S+)\s+([0-9.]+)\s*$")


def parse_parents(text: str) -> list[ParentSpec]:
    """Lines of ``<version id or CID> <royalty weight>``; raises ValidationError."""
    specs: list[ParentSpec] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = PARENT_LINE.match(line)
        if match is None:
            raise forms.ValidationError(
                f"Line {number}: write a version id or CID, a space, and a weight such as 0.2."
            )
        ref, raw_weight = match.groups()
        try:
            weight = Decimal(raw_weight)
        except InvalidOperation as exc:
            raise forms.ValidationError(f"Line {number}: {raw_weight!r} is not a number.") from exc
        lookup = {"pk": int(ref)} if ref.isdigit() else {"cid": ref}
        version = DatasetVersion.objects.filter(**lookup).first()
        if version is None:
            raise forms.ValidationError(f"Line {number}: no version {ref}.")
        specs.append(ParentSpec(version=version, weight=weight))
    return specs


class VersionUploadForm(forms.Form):
    format = forms.ChoiceField(choices=Format.choices)
    file = forms.FileField(
        help_text="CSV, Parquet or JSON Lines, up to "
        f"{filesizeformat(settings.COOP_UPLOAD_MAX_BYTES)}."
    )
    parents = forms.CharField(
        required=False,
        label="Derived from",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "12 0.2"}),
        help_text="Optional. One parent per line: its version id or CID and the royalty weight "
        "passed to it (weights add up to at most 1).",
    )

    def clean_parents(self) -> list[ParentSpec]:
        return parse_parents(self.cleaned_data.get("parents") or "")

    def add_service_error(self, field: str, message: str) -> None:
        self.add_error(field if field in self.fields else None, message)

    @property
    def parent_specs(self) -> list[ParentSpec]:
        value: Any = self.cleaned_data.get("parents") or []
        return list(value)


class DatasetUploadForm(VersionUploadForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    license = forms.ChoiceField(choices=License.choices, label="Licence (SPDX)")

    field_order = ["title", "description", "license", "format", "file", "parents"]
