from rest_framework import serializers


class RulesInputSerializer(serializers.Serializer):
    rules = serializers.ListField(child=serializers.JSONField(), required=False)
    declared_schema = serializers.ListField(
        child=serializers.JSONField(), required=False, allow_null=True
    )


class RulesOutputSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    revision = serializers.IntegerField()
    rules = serializers.ListField(child=serializers.JSONField())
    declared_schema = serializers.ListField(child=serializers.JSONField(), allow_null=True)


class ReportSerializer(serializers.Serializer):
    """Documents the shape of GET /versions/{id}/quality/ (built by quality.selectors)."""

    version = serializers.IntegerField()
    dataset = serializers.IntegerField()
    cid = serializers.CharField()
    status = serializers.CharField()
    report = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["admitted", "rejected"])
    severity = serializers.ChoiceField(choices=["critical", "warning", "none"])
    reason = serializers.CharField()
    policy_version = serializers.IntegerField()
    rules_revision = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    checked_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    expectations = serializers.ListField(child=serializers.JSONField())
    override = serializers.JSONField(allow_null=True)
