"""A real browser uploads through the form, watches the progress bar and sees the pin."""

import re

import pytest

from marketplace.models import DatasetVersion, PinStatus
from tests.factories import PASSWORD
from tests.fixtures.browser import log_in

pytestmark = pytest.mark.browser


def test_a_contributor_uploads_in_the_browser_and_watches_it_pin(page, pipeline, alice, tmp_path):
    csv = tmp_path / "sensors.csv"
    rows = "".join(f"S{i:06d},{i % 50}.{i % 10},{i % 7}\n" for i in range(120_000))
    csv.write_text("station,pm25,no2\n" + rows)  # about 2 MB
    # Slow the upload down so the progress bar is observable (Chromium's network emulation).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 700_000},
    )
    log_in(page, "alice", PASSWORD)

    page.goto("/datasets/new/")
    page.fill("input[name=title]", "Sensor readings")
    page.fill("textarea[name=description]", "Street-level sensors")
    page.select_option("select[name=license]", "CDLA-Permissive-2.0")
    page.select_option("select[name=format]", "csv")
    page.set_input_files("input[name=file]", str(csv))
    page.click("button[type=submit]")

    progress = page.locator("[data-progress]")
    progress.wait_for(state="visible")
    page.wait_for_function(
        "() => parseFloat(document.querySelector('[data-progress] .bar').style.width) > 0"
    )
    assert re.match(r"Uploading… \d+%", page.locator("[data-upload-status]").inner_text())

    page.wait_for_url(re.compile(r"/versions/\d+/$"), timeout=60_000)
    version = DatasetVersion.objects.get(dataset__title="Sensor readings")
    # The page follows the pipeline by itself; no reload is triggered by the test.
    page.locator("[data-pin]").filter(has_text="pinned").wait_for(timeout=60_000)
    assert version.cid in page.locator("[data-cid]").inner_text()
    version.pin.refresh_from_db()
    assert version.pin.status == PinStatus.PINNED
