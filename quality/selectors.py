"""Reads for quality reports and rules, with constant query counts for lists of versions."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max

from marketplace.models import DatasetVersion
from quality.models import QualityOverride, QualityReport


def report_latest(version: DatasetVersion) -> QualityReport | None:
    return (
        QualityReport.objects.filter(version=version)
        .select_related("policy")
        .order_by("-pk")
        .first()
    )


def override_latest(report: QualityReport) -> QualityOverride | None:
    return report.overrides.select_related("curator").order_by("-pk").first()


def badges_for(versions: Iterable[DatasetVersion]) -> dict[int, dict[str, Any]]:
    """The latest report's verdict, warning count and override flag per version: two queries
    whatever the number of versions (the report bodies are not loaded)."""
    ids = [v.pk for v in versions]
    if not ids:
        return {}
    latest = (
        QualityReport.objects.filter(version_id__in=ids)
        .values("version_id")
        .annotate(latest=Max("id"))
        .values_list("latest", flat=True)
    )
    rows = (
        QualityReport.objects.filter(pk__in=list(latest))
        .annotate(override_count=Count("overrides"))
        .values("id", "version_id", "verdict", "counts", "override_count")
    )
    return {
        row["version_id"]: {
            "report": row["id"],
            "verdict": row["verdict"],
            "warnings": int((row["counts"] or {}).get("warnings", 0)),
            "critical_failed": int((row["counts"] or {}).get("critical_failed", 0)),
            "overridden": row["override_count"] > 0,
        }
        for row in rows
    }


def report_as_dict(
    version: DatasetVersion, report: QualityReport, *, include_gx_result: bool = False
) -> dict[str, Any]:
    """The report as the API returns it (and the page renders it)."""
    override = override_latest(report)
    data: dict[str, Any] = {
        "version": version.pk,
        "dataset": version.dataset_id,
        "cid": version.cid,
        "status": version.status,
        "report": report.pk,
        "verdict": report.verdict,
        "severity": "critical"
        if report.counts.get("critical_failed")
        else ("warning" if report.counts.get("warnings") else "none"),
        "reason": report.reason,
        "policy_version": report.policy.number,
        "rules_revision": report.rules_revision,
        "counts": report.counts,
        "checked_at": report.created_at.isoformat(),
        "duration_ms": report.duration_ms,
        "expectations": report.summary,
        "override": None
        if override is None
        else {
            "decision": override.decision,
            "reason": override.reason,
            "curator": override.curator.get_username(),
            "at": override.created_at.isoformat(),
        },
    }
    if include_gx_result:
        data["gx_result"] = report.gx_result
    return data
