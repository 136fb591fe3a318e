"""A contributor accepts suggested rules in a real browser and reads the verdict."""

import pytest

from marketplace.models import VersionStatus
from quality import services
from tests.factories import PASSWORD
from tests.fixtures.browser import log_in
from tests.quality.conftest import NULLS_CSV

pytestmark = pytest.mark.browser


def test_the_contributor_accepts_suggested_rules_and_sees_the_verdict(
    page, upload, alice, pipeline
):
    version = upload(alice, NULLS_CSV)
    assert version.status == VersionStatus.ADMITTED
    log_in(page, "alice", PASSWORD)

    page.goto(f"/versions/{version.pk}/")
    page.click("text=Suggest rules from this file")
    page.wait_for_selector("#suggestions")
    # Tighten the suggested "mostly" for pm25 into a strict, critical not-null rule.
    row = page.locator("tr", has_text="pm25 has no missing values")
    row.locator("textarea").fill(
        '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "pm25"}, '
        '"severity": "critical"}'
    )
    page.click("text=Accept selected rules")

    page.wait_for_url(f"**/quality/versions/{version.pk}/")
    pipeline.wait_status(version, VersionStatus.REJECTED, timeout=120)
    page.reload()
    assert page.locator("[data-verdict]").inner_text() == "rejected"
    failed = page.locator("tr.fail.critical")
    assert failed.count() == 1
    assert "pm25 has no missing values" in failed.inner_text()
    assert services.rules_for(version.dataset).revision == 1
