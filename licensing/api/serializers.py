"""Serializers for the catalogue, offers, purchases and grants."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import MAX_ID
from ledger.models import DEFAULT_CURRENCY, Currency
from ledger.money import MAX_AMOUNT
from licensing.models import AccessGrant, LicenseOffer, Purchase, Use
from licensing.quality import QualitySummaries
from marketplace.models import Dataset, DatasetVersion, Format, License


class QualitySerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["admitted", "rejected", "pending"])
    reason = serializers.CharField(allow_blank=True)
    report = serializers.IntegerField(allow_null=True)
    warnings = serializers.IntegerField()
    critical_failed = serializers.IntegerField()
    overridden = serializers.BooleanField()
    report_url = serializers.CharField(allow_null=True)


def _quality(serializer: serializers.BaseSerializer, version: DatasetVersion) -> dict[str, Any]:
    """From the page's summaries (``context["quality"]``), loaded once for all its versions."""
    summaries: QualitySummaries = serializer.context["quality"]
    return summaries[version.pk]


class OfferSerializer(serializers.ModelSerializer):
    versions = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = LicenseOffer
        fields = [
            "id",
            "dataset",
            "license",
            "use",
            "price",
            "currency",
            "duration_days",
            "all_versions",
            "versions",
            "active",
            "created_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_versions(self, obj: LicenseOffer) -> list[int]:
        """The pinned versions; empty when the offer covers every admitted version."""
        if obj.all_versions:
            return []
        return sorted(v.pk for v in obj.versions.all())


class OfferInputSerializer(serializers.Serializer):
    license = serializers.ChoiceField(choices=License.choices)
    use = serializers.ChoiceField(choices=Use.choices)
    price = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT)
    currency = serializers.ChoiceField(choices=Currency.choices, default=DEFAULT_CURRENCY)
    duration_days = serializers.IntegerField(
        min_value=1, max_value=36_500, allow_null=True, required=False, default=None
    )
    versions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=1000,
    )


class VersionSummarySerializer(serializers.ModelSerializer):
    quality = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "number",
            "cid",
            "sha256",
            "size",
            "format",
            "license",
            "row_count",
            "created_at",
            "quality",
        ]

    @extend_schema_field(QualitySerializer)
    def get_quality(self, obj: DatasetVersion) -> dict[str, Any]:
        return _quality(self, obj)


class VersionDetailSerializer(VersionSummarySerializer):
    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "schema", "download_url"]

    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj: DatasetVersion) -> str:
        return f"/api/v1/versions/{obj.pk}/download"


class ContributorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    share_weight = serializers.IntegerField()


def _latest(dataset: Dataset) -> DatasetVersion:
    versions: list[DatasetVersion] = dataset.admitted_versions  # type: ignore[attr-defined]
    return versions[0]


class CatalogueItemSerializer(serializers.ModelSerializer):
    formats = serializers.SerializerMethodField()
    # Built once per list (not per item): ``latest_admitted`` is set by the selector.
    latest_version = VersionSummarySerializer(source="latest_admitted")
    versions_admitted = serializers.SerializerMethodField()
    quality = serializers.SerializerMethodField()
    offers = OfferSerializer(source="active_offers", many=True)
    contributors = ContributorSerializer(source="memberships", many=True)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "title",
            "description",
            "license",
            "contributors",
            "formats",
            "versions_admitted",
            "latest_version",
            "quality",
            "offers",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_formats(self, obj: Dataset) -> list[str]:
        return sorted({v.format for v in obj.admitted_versions})  # type: ignore[attr-defined]

    def get_versions_admitted(self, obj: Dataset) -> int:
        return len(obj.admitted_versions)  # type: ignore[attr-defined]

    @extend_schema_field(QualitySerializer)
    def get_quality(self, obj: Dataset) -> dict[str, Any]:
        """The verdict on the newest admitted version."""
        return _quality(self, _latest(obj))


class CataloguePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CatalogueItemSerializer(many=True)


class DatasetDetailSerializer(CatalogueItemSerializer):
    versions = VersionDetailSerializer(source="admitted_versions", many=True)
    croissant_url = serializers.SerializerMethodField()

    class Meta(CatalogueItemSerializer.Meta):
        fields = [
            "id",
            "title",
            "description",
            "license",
            "contributors",
            "formats",
            "quality",
            "versions",
            "offers",
            "croissant_url",
            "created_at",
            "updated_at",
        ]

    def get_croissant_url(self, obj: Dataset) -> str:
        return f"/api/v1/datasets/{obj.pk}/croissant"


class CatalogueFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    license = serializers.ChoiceField(choices=License.choices, required=False)
    format = serializers.ChoiceField(choices=Format.choices, required=False)
    use = serializers.ChoiceField(choices=Use.choices, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    price_min = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT, required=False)
    price_max = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT, required=False)
    page = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_max": "Must not be below price_min."})
        return attrs


class GrantVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DatasetVersion
        fields = ["id", "number", "cid", "size", "format"]


class GrantSerializer(serializers.ModelSerializer):
    versions = GrantVersionSerializer(many=True)
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "purchase",
            "dataset",
            "versions",
            "license",
            "use",
            "expires_at",
            "active",
            "created_at",
        ]


class GrantPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = GrantSerializer(many=True)


class PurchaseInputSerializer(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class PurchaseSerializer(serializers.ModelSerializer):
    dataset = serializers.IntegerField(source="offer.dataset_id")
    grant = GrantSerializer()

    class Meta:
        model = Purchase
        fields = [
            "id",
            "offer",
            "dataset",
            "price",
            "fee",
            "currency",
            "payment_provider",
            "ledger_transaction",
            "grant",
            "created_at",
        ]
