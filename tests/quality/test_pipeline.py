"""The gate in the real pipeline: upload → pin on IPFS → GX check → admitted or rejected."""

from http import HTTPStatus

import pandas as pd

from marketplace.models import VersionStatus
from marketplace.selectors import catalogue_datasets
from quality import services
from quality.models import QualityOverride, QualityReport
from tests.quality.conftest import CLEAN_CSV, NOT_NULL_PM25, NULLS_CSV, parquet_bytes
from transparency.models import ProvenanceRecord
from transparency.services import chain_verify


def test_a_clean_csv_is_admitted_and_enters_the_catalogue(upload, alice, api_as):
    version = upload(alice, CLEAN_CSV)
    assert version.status == VersionStatus.ADMITTED
    assert version.row_count == 3
    assert version.schema == [
        {"name": "city", "type": "str"},
        {"name": "year", "type": "int64"},
        {"name": "pm25", "type": "float64"},
    ]
    assert list(catalogue_datasets()) == [version.dataset]
    body = api_as(alice).get(f"/api/v1/versions/{version.pk}/quality/").json()
    assert (body["verdict"], body["severity"], body["policy_version"]) == ("admitted", "none", 1)
    assert body["counts"] == {"checks": 7, "passed": 7, "critical_failed": 0, "warnings": 0}
    kinds = list(
        ProvenanceRecord.objects.filter(subject=f"version:{version.pk}").values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["upload", "pin", "quality_verdict", "admission"]
    assert chain_verify() is None


def test_nulls_in_a_not_null_critical_column_are_rejected_and_named(upload, alice, api_as):
    first = upload(alice, CLEAN_CSV)
    services.rules_set(user=alice.user, dataset=first.dataset, rules=[NOT_NULL_PM25])
    version = upload(alice, NULLS_CSV, dataset=first.dataset)
    assert version.status == VersionStatus.REJECTED
    assert "pm25 has no missing values: 2 unexpected (66.6667%)" in version.status_reason
    response = api_as(alice).get(f"/api/v1/versions/{version.pk}/quality/")
    assert response.status_code == HTTPStatus.OK
    failed = [e for e in response.json()["expectations"] if not e["success"]]
    assert [(e["id"], e["column"], e["unexpected_count"], e["severity"]) for e in failed] == [
        ("rules:1", "pm25", 2, "critical")
    ]
    assert response.json()["rules_revision"] == 1


def test_a_warning_only_failure_is_admitted_with_the_warning_shown(upload, alice, web_as):
    first = upload(alice, CLEAN_CSV)
    services.rules_set(
        user=alice.user, dataset=first.dataset, rules=[{**NOT_NULL_PM25, "severity": "warning"}]
    )
    version = upload(alice, NULLS_CSV, dataset=first.dataset)
    assert version.status == VersionStatus.ADMITTED
    assert version.status_reason == "Admitted with 1 warning(s)."
    page = web_as(alice).get(f"/quality/versions/{version.pk}/").content.decode()
    assert "warnings only" in page
    assert '<span class="badge warning">warning</span>' in page
    assert "pm25 has no missing values" in page


def test_parquet_and_json_lines_files_are_checked(upload, alice, tmp_path, pipeline):
    frame = pd.DataFrame({"station": ["A", "B", "C"], "pm25": [1.5, None, 3.0]})
    parquet = upload(alice, parquet_bytes(tmp_path, frame), name="air.parquet", fmt="parquet")
    assert parquet.status == VersionStatus.ADMITTED
    assert parquet.row_count == 3
    services.rules_set(user=alice.user, dataset=parquet.dataset, rules=[NOT_NULL_PM25])
    services.check_rerun(user=alice.user, version=parquet)
    pipeline.wait_status(parquet, VersionStatus.REJECTED, timeout=120)

    jsonl = upload(
        alice, '{"station": "A", "n": 1}\n{"station": "B", "n": 2}\n', name="b.jsonl", fmt="jsonl"
    )
    assert jsonl.status == VersionStatus.ADMITTED
    assert jsonl.schema == [{"name": "station", "type": "str"}, {"name": "n", "type": "int64"}]
    empty_col = upload(
        alice,
        '{"station": "A", "n": null}\n{"station": "B", "n": null}\n',
        name="c.jsonl",
        fmt="jsonl",
    )
    assert empty_col.status == VersionStatus.REJECTED
    assert "n is not entirely empty" in empty_col.status_reason


def test_a_broken_file_is_rejected_with_a_reason_and_the_worker_goes_on(upload, alice):
    ragged = upload(alice, "a,b,c\n1,2,3\n4,5\n", name="ragged.csv")
    assert ragged.status == VersionStatus.REJECTED
    assert ragged.status_reason == (
        "Rejected: The file does not parse as CSV: CSV parse error: Expected 3 columns, got 2: 4,5"
    )
    broken = upload(alice, b"PAR1 not really parquet PAR1", name="x.parquet", fmt="parquet")
    assert broken.status == VersionStatus.REJECTED
    assert broken.status_reason.startswith("Rejected: The file does not parse as Parquet")
    assert upload(alice, "x,y\n1,2\n", name="after.csv").status == VersionStatus.ADMITTED


def test_a_curator_override_is_recorded_and_shown(upload, alice, carol, web_as):
    version = upload(alice, "a,b\n1,\n2,\n", name="empty-b.csv")
    assert version.status == VersionStatus.REJECTED
    response = web_as(carol).post(
        f"/quality/versions/{version.pk}/override/",
        {"decision": "admitted", "reason": "Column b is reserved for later readings."},
    )
    assert response.status_code == HTTPStatus.FOUND
    version.refresh_from_db()
    assert version.status == VersionStatus.ADMITTED
    override = QualityOverride.objects.get()
    assert (override.curator, override.decision, override.report.version) == (
        carol.user,
        "admitted",
        version,
    )
    page = web_as(alice).get(f"/quality/versions/{version.pk}/").content.decode()
    assert "Curator override: <strong>admitted</strong> by carol" in page
    assert "Column b is reserved for later readings." in page
    record = ProvenanceRecord.objects.filter(kind="quality_override").get()
    assert record.payload["reason"] == "Column b is reserved for later readings."


def test_re_running_after_a_rule_change_gives_the_new_verdict(upload, alice, web_as, pipeline):
    version = upload(alice, NULLS_CSV)
    assert version.status == VersionStatus.ADMITTED
    services.rules_set(user=alice.user, dataset=version.dataset, rules=[NOT_NULL_PM25])
    response = web_as(alice).post(f"/quality/versions/{version.pk}/rerun/")
    assert response.status_code == HTTPStatus.FOUND
    pipeline.wait_status(version, VersionStatus.REJECTED, timeout=120)
    reports = list(QualityReport.objects.filter(version=version).order_by("pk"))
    assert [(r.verdict, r.rules_revision) for r in reports] == [("admitted", 0), ("rejected", 1)]
    assert list(catalogue_datasets()) == []
