"""Helpers for the quality tests: real files made here, versions made through the real
marketplace services (pipeline tests) or as plain rows checked from a local file (db tests)."""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from ipfs.cid import cid_of_bytes
from marketplace import services as market
from marketplace.models import Dataset, DatasetContributor, DatasetVersion, VersionStatus
from marketplace.uploads import staged_from_path
from quality import services

CLEAN_CSV = "city,year,pm25\nLisbon,2024,11.2\nPorto,2024,9.8\nFaro,2024,7.1\n"
NULLS_CSV = "city,year,pm25\nLisbon,2024,11.2\nPorto,2024,\nFaro,2024,\n"

NOT_NULL_PM25 = {
    "type": "expect_column_values_to_not_be_null",
    "kwargs": {"column": "pm25"},
    "severity": "critical",
}

DONE = (VersionStatus.ADMITTED, VersionStatus.REJECTED, VersionStatus.FAILED)


@pytest.fixture
def upload(tmp_path: Path, pipeline) -> Callable[..., DatasetVersion]:
    """Upload bytes through the real pipeline and wait for the gate's decision."""

    def make(
        member,
        content: bytes | str,
        name: str = "air.csv",
        fmt: str = "csv",
        dataset: Dataset | None = None,
    ) -> DatasetVersion:
        data = content.encode() if isinstance(content, str) else content
        path = tmp_path / f"{cid_of_bytes(data)}-{name}"
        path.write_bytes(data)
        if dataset is None:
            version = market.dataset_create(
                user=member.user,
                title="Air",
                description="",
                license="CC0-1.0",
                fmt=fmt,
                upload=staged_from_path(path, name=name),
            )
        else:
            version = market.version_create(
                user=member.user, dataset=dataset, fmt=fmt, upload=staged_from_path(path, name=name)
            )
        return pipeline.wait_status(version, *DONE, timeout=120)

    return make


@pytest.fixture
def checked(tmp_path: Path) -> Callable[..., DatasetVersion]:
    """A version row whose local file is run through the gate (no IPFS: for page and API
    tests in an ordinary transaction)."""
    counter = {"n": 0}

    def make(
        member, content: str = CLEAN_CSV, fmt: str = "csv", rules: list | None = None
    ) -> DatasetVersion:
        counter["n"] += 1
        data = content.encode()
        dataset = Dataset.objects.create(title="Air", license="CC0-1.0", created_by=member.user)
        DatasetContributor.objects.create(dataset=dataset, user=member.user)
        version = DatasetVersion.objects.create(
            dataset=dataset,
            number=1,
            cid=f"{cid_of_bytes(data)}{counter['n']}",
            sha256="0" * 64,
            size=len(data),
            format=fmt,
            license="CC0-1.0",
            original_filename=f"f.{fmt}",
            uploaded_by=member.user,
            status=VersionStatus.CHECKING,
        )
        if rules:
            services.rules_set(user=member.user, dataset=dataset, rules=rules)
        path = tmp_path / f"v{counter['n']}.{fmt}"
        path.write_bytes(data)
        services.gate_run(version=version, path=path)
        version.refresh_from_db()
        return version

    return make


def parquet_bytes(tmp_path: Path, frame: pd.DataFrame) -> bytes:
    path = tmp_path / "frame.parquet"
    frame.to_parquet(path, index=False)
    return path.read_bytes()
