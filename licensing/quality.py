"""The quality verdict shown next to each dataset and version in the catalogue API.

The verdict is the version's gate outcome (its status: ``admitted`` or ``rejected``, which also
reflects a curator's recorded override); the counts come from the newest quality report, loaded
for a whole page at once by ``quality.selectors.badges_for`` (a fixed number of queries).
"""

from collections.abc import Iterable
from typing import Any

from marketplace.models import DatasetVersion, VersionStatus
from quality.selectors import badges_for

QualitySummaries = dict[int, dict[str, Any]]


def summary_of(version: DatasetVersion, badge: dict[str, Any] | None) -> dict[str, Any]:
    verdict = (
        version.status
        if version.status in (VersionStatus.ADMITTED, VersionStatus.REJECTED)
        else "pending"
    )
    return {
        "verdict": verdict,
        "reason": version.status_reason,
        "report": badge["report"] if badge else None,
        "warnings": badge["warnings"] if badge else 0,
        "critical_failed": badge["critical_failed"] if badge else 0,
        "overridden": badge["overridden"] if badge else False,
        "report_url": f"/api/v1/versions/{version.pk}/quality/" if badge else None,
    }


def quality_summaries(versions: Iterable[DatasetVersion]) -> QualitySummaries:
    versions = list(versions)
    badges = badges_for(versions)
    return {v.pk: summary_of(v, badges.get(v.pk)) for v in versions}
