"""Property-based API testing with schemathesis against /api/schema/ on the live test server.

Bounded: at most 6 examples per operation and phase, one worker: about a minute and a half.
It checks that no response is a 5xx, and that every status code, content type, header and
body matches the OpenAPI schema.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import token_create
from marketplace.models import DatasetContributor
from tests import factories
from tests.factories import CSV

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def seed(owner, co_owner) -> None:
    """An admitted version, pinned as it arrived, with an offer, made without queuing any task
    (a test that commits would hand them to the broker)."""
    version = factories.dataset(
        owner, title="Air", description="PM2.5", content=CSV, name="air.csv"
    )
    # No service adds a co-contributor yet; the curator owning a share reaches the offers.
    DatasetContributor.objects.create(dataset=version.dataset, user=co_owner.user)
    factories.offer(owner, version.dataset, price=0, duration_days=None)


@pytest.mark.live
def test_the_api_matches_its_schema(live_server, alice, carol, tmp_path):
    # A curator who is also a buyer and a contributor reaches the most code: top-ups, offers,
    # purchases, downloads.
    seed(alice, carol)
    token = "Token " + token_create(user=carol.user, name="schemathesis").key
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server.url}/api/schema/",
            "--header",
            f"Authorization: {token}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "6",
            "--workers",
            "1",
            "--seed",
            "20260101",
            "--request-retries",
            "1",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--no-color",
        ],
        cwd=tmp_path,  # schemathesis keeps a cache directory where it runs
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
