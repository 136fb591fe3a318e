"""Files for the quality tests; versions are made through the services (tests/factories.py):
uploaded through the real pipeline (``upload``), or decided by the gate from a local copy
(``checked``)."""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from marketplace.models import Dataset, DatasetVersion, VersionStatus
from tests import factories

CLEAN_CSV = "city,year,pm25\nLisbon,2024,11.2\nPorto,2024,9.8\nFaro,2024,7.1\n"
NULLS_CSV = "city,year,pm25\nLisbon,2024,11.2\nPorto,2024,\nFaro,2024,\n"

NOT_NULL_PM25 = {
    "type": "expect_column_values_to_not_be_null",
    "kwargs": {"column": "pm25"},
    "severity": "critical",
}

DONE = (VersionStatus.ADMITTED, VersionStatus.REJECTED, VersionStatus.FAILED)


@pytest.fixture
def upload(pipeline) -> Callable[..., DatasetVersion]:
    """Upload bytes through the real pipeline and wait for the gate's decision."""

    def make(
        member,
        content: bytes | str,
        name: str = "air.csv",
        fmt: str = "csv",
        dataset: Dataset | None = None,
    ) -> DatasetVersion:
        data = content.encode() if isinstance(content, str) else content
        if dataset is None:
            version = factories.dataset(
                member,
                title="Air",
                description="",
                license="CC0-1.0",
                content=data,
                fmt=fmt,
                name=name,
                pipeline=True,
            )
        else:
            version = factories.version(
                member, dataset, content=data, fmt=fmt, name=name, pipeline=True
            )
        return pipeline.wait_status(version, *DONE, timeout=120)

    return make


@pytest.fixture
def checked() -> Callable[..., DatasetVersion]:
    """A version decided by the gate from a local copy of its bytes (no IPFS: for page and API
    tests in an ordinary transaction)."""
    return factories.checked


def parquet_bytes(tmp_path: Path, frame: pd.DataFrame) -> bytes:
    path = tmp_path / "frame.parquet"
    frame.to_parquet(path, index=False)
    return path.read_bytes()
