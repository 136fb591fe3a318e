"""Serializers for datasets and versions."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from marketplace.models import Dataset, DatasetVersion, Format, License, VersionDerivation
from marketplace.services import ParentSpec


class ParentLinkSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="parent_id")
    cid = serializers.CharField(source="parent.cid")

    class Meta:
        model = VersionDerivation
        fields = ["version", "cid", "weight"]


class VersionSerializer(serializers.ModelSerializer):
    pin_status = serializers.CharField(source="pin.status", default=None)
    parents = ParentLinkSerializer(source="parent_links", many=True, read_only=True)

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "dataset",
            "number",
            "cid",
            "size",
            "sha256",
            "format",
            "license",
            "status",
            "status_reason",
            "pin_status",
            "row_count",
            "parents",
            "created_at",
        ]


class DatasetSerializer(serializers.ModelSerializer):
    contributors = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = ["id", "title", "description", "license", "contributors", "created_at"]

    def get_contributors(self, obj: Dataset) -> list[dict[str, Any]]:
        return [
            {"id": m.user_id, "username": m.user.get_username(), "share_weight": m.share_weight}
            for m in obj.memberships.all()
        ]


class ParentInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    weight = serializers.DecimalField(
        max_digits=7, decimal_places=6, min_value=Decimal("0.000001"), max_value=Decimal(1)
    )


class ParentsField(serializers.JSONField):
    """Multipart forms carry the parents as one JSON text: ``[{"version": 3, "weight": 0.2}]``."""

    # Returns domain objects rather than a dict: the views hand them straight to the service.
    def to_internal_value(self, data: Any) -> list[ParentSpec]:  # type: ignore[override]
        value = super().to_internal_value(data)
        if isinstance(value, str):
            value = serializers.JSONField(binary=True).to_internal_value(value.encode())
        items = ParentInputSerializer(data=value, many=True)
        if not isinstance(value, list):
            raise serializers.ValidationError(
                'Expected a JSON list like [{"version": 3, "weight": 0.2}].'
            )
        items.is_valid(raise_exception=True)
        ids = [item["version"] for item in items.validated_data]
        found = DatasetVersion.objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown parent version(s): {missing}.")
        return [
            ParentSpec(version=found[i["version"]], weight=i["weight"])
            for i in items.validated_data
        ]


class VersionInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=Format.choices)
    file = serializers.FileField(allow_empty_file=True)
    license = serializers.ChoiceField(choices=License.choices, required=False)
    parents = ParentsField(required=False)


class DatasetInputSerializer(VersionInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    license = serializers.ChoiceField(choices=License.choices)
