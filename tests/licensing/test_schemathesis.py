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
from ipfs import client as ipfs
from licensing.services import offer_create
from marketplace.models import (
    Dataset,
    DatasetContributor,
    DatasetVersion,
    Pin,
    PinStatus,
    VersionStatus,
)
from tests.licensing.conftest import CSV, SCHEMA

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def seed(owner, co_owner, ipfs_api_addr: str, tmp_path: Path) -> None:
    """An admitted, pinned version with an offer, made without queuing any task (a test that
    commits would hand them to the broker)."""
    path = tmp_path / "air.csv"
    path.write_bytes(CSV)
    added = ipfs.add_file(path)
    dataset = Dataset.objects.create(
        title="Air", description="PM2.5", license="CC-BY-4.0", created_by=owner.user
    )
    DatasetContributor.objects.create(dataset=dataset, user=owner.user)
    DatasetContributor.objects.create(dataset=dataset, user=co_owner.user)
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        cid=added.cid,
        sha256="0" * 64,
        size=len(CSV),
        format="csv",
        license="CC-BY-4.0",
        original_filename="air.csv",
        uploaded_by=owner.user,
        status=VersionStatus.ADMITTED,
        schema=SCHEMA,
        row_count=3,
    )
    Pin.objects.create(version=version, cid=added.cid, status=PinStatus.PINNED)
    offer_create(user=owner.user, dataset=dataset, license="CC-BY-4.0", use="research", price=0)


@pytest.mark.live
def test_the_api_matches_its_schema(live_server, alice, carol, ipfs_api_addr, tmp_path):
    # A curator who is also a buyer and a contributor reaches the most code: top-ups, offers,
    # purchases, downloads.
    seed(alice, carol, ipfs_api_addr, tmp_path)
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
