"""Serializers for models, training runs, lineage answers and OpenLineage results."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from provenance.models import Model, TrainingRun, TrainingRunInput


class ModelInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    artifact_cid = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=120
    )


class RunInputOutputSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version_id")
    cid = serializers.CharField(source="version.cid")
    dataset = serializers.IntegerField(source="version.dataset_id")
    weight = serializers.DecimalField(max_digits=24, decimal_places=6)

    class Meta:
        model = TrainingRunInput
        fields = ["version", "cid", "dataset", "weight", "rows_used"]


class RunSerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="model_id")
    used = RunInputOutputSerializer(source="inputs", many=True, read_only=True)
    recorded_by = serializers.IntegerField(source="recorded_by_id")

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "model",
            "started_at",
            "ended_at",
            "parameters",
            "external_run_id",
            "recorded_by",
            "used",
            "created_at",
        ]


class ModelSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    runs = RunSerializer(many=True, read_only=True)

    class Meta:
        model = Model
        fields = ["id", "name", "description", "artifact_cid", "owner", "runs", "created_at"]

    def get_owner(self, obj: Model) -> dict[str, Any]:
        return {"id": obj.owner_id, "username": obj.owner.get_username()}


class UsedInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**62)
    weight = serializers.DecimalField(
        required=False,
        allow_null=True,
        min_value=Decimal("0.000001"),
        max_digits=24,
        decimal_places=6,
    )
    rows_used = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**62
    )


class RunInputSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parameters = serializers.DictField(required=False, default=dict)
    used = UsedInputSerializer(many=True, allow_empty=False)


class LineageQuerySerializer(serializers.Serializer):
    node = serializers.CharField(max_length=60, help_text="<type>:<id>, e.g. version:12")
    direction = serializers.ChoiceField(choices=["upstream", "downstream", "both"], default="both")
    depth = serializers.IntegerField(
        required=False, min_value=0, help_text="Hops from the node (default 20; clamped)."
    )
    as_of = serializers.DateTimeField(required=False, help_text="The graph as it stood then.")


class LineageNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["dataset", "version", "model", "run", "member"])
    label = serializers.CharField()  # type: ignore[assignment]  # the JSON key shadows a Field attribute in the stubs
    url = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()


class LineageEdgeSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]  # the JSON key shadows a Field attribute in the stubs
    target = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["contributed", "uploaded", "version", "derived", "used", "generated", "owns"]
    )
    weight = serializers.CharField(allow_null=True)


class LineageSerializer(serializers.Serializer):
    root = serializers.CharField()  # type: ignore[assignment]  # the JSON key shadows a Field attribute in the stubs
    direction = serializers.CharField()
    depth = serializers.IntegerField()
    as_of = serializers.DateTimeField(allow_null=True)
    notice = serializers.CharField(allow_null=True)
    nodes = LineageNodeSerializer(many=True)
    edges = LineageEdgeSerializer(many=True)


class DerivationOutputSerializer(serializers.Serializer):
    child = serializers.IntegerField(source="child_id")
    parent = serializers.IntegerField(source="parent_id")  # type: ignore[assignment]  # the JSON key shadows a Field attribute in the stubs
    weight = serializers.DecimalField(max_digits=7, decimal_places=6)


class OpenLineageResultSerializer(serializers.Serializer):
    event_type = serializers.CharField()
    recorded = serializers.BooleanField()
    runs = serializers.ListField(child=serializers.IntegerField())
    derivations = DerivationOutputSerializer(many=True)
