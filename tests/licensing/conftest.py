"""Factories for the licensing tests: admitted versions (pinned on the real node when a test
downloads them), offers, and credit."""

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Member
from ledger.services import credits_top_up
from licensing.models import LicenseOffer
from licensing.services import offer_create
from marketplace import services as marketplace
from marketplace.models import Dataset, DatasetVersion, VersionStatus
from marketplace.uploads import staged_from_path

CSV = b"city,year,pm25\nLisbon,2024,11.2\nPorto,2024,9.8\nFaro,2024,7.1\n"
SCHEMA = [
    {"name": "city", "type": "string"},
    {"name": "year", "type": "int64"},
    {"name": "pm25", "type": "float64"},
]

_unique = itertools.count(1)


def admit(version: DatasetVersion, *, rows: int = 3) -> DatasetVersion:
    """Stand in for the quality gate (tested in tests/quality) in `db` tests."""
    marketplace.version_set_status(version, VersionStatus.ADMITTED)
    DatasetVersion.objects.filter(pk=version.pk).update(row_count=rows, schema=SCHEMA)
    version.refresh_from_db()
    return version


class Maker:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def _staged(self, content: bytes, name: str):
        path = self.tmp_path / f"{next(_unique)}-{name}"
        path.write_bytes(content)
        return staged_from_path(path, name=name)

    def dataset(
        self,
        owner: Member,
        *,
        title: str = "Air quality",
        description: str = "Hourly PM2.5 by city",
        license: str = "CC-BY-4.0",
        content: bytes | None = None,
        fmt: str = "csv",
        status: str = VersionStatus.ADMITTED,
        pin: bool = False,
    ) -> DatasetVersion:
        """A new dataset with one version (unique bytes unless ``content`` is given)."""
        content = content if content is not None else CSV + b"Braga,%d,8.0\n" % next(_unique)
        version = marketplace.dataset_create(
            user=owner.user,
            title=title,
            description=description,
            license=license,
            fmt=fmt,
            upload=self._staged(content, f"data.{fmt}"),
        )
        return self._finish(version, status=status, pin=pin)

    def version(
        self,
        owner: Member,
        dataset: Dataset,
        *,
        content: bytes | None = None,
        status: str = VersionStatus.ADMITTED,
        pin: bool = False,
    ) -> DatasetVersion:
        content = content if content is not None else CSV + b"Evora,%d,6.5\n" % next(_unique)
        version = marketplace.version_create(
            user=owner.user, dataset=dataset, fmt="csv", upload=self._staged(content, "data.csv")
        )
        return self._finish(version, status=status, pin=pin)

    def _finish(self, version: DatasetVersion, *, status: str, pin: bool) -> DatasetVersion:
        if pin:
            # The pin task's service, called directly: `db` tests never run on_commit hooks.
            assert marketplace.version_pin(version_id=version.pk).pinned
        if status == VersionStatus.ADMITTED:
            return admit(version)
        marketplace.version_set_status(version, status)
        return version

    def offer(self, owner: Member, dataset: Dataset, **terms) -> LicenseOffer:
        values: dict[str, Any] = {
            "license": "CC-BY-4.0",
            "use": "research",
            "price": 1250,
            "duration_days": 30,
        }
        values.update(terms)
        return offer_create(user=owner.user, dataset=dataset, **values)


@pytest.fixture
def make(tmp_path: Path) -> Maker:
    return Maker(tmp_path)


@pytest.fixture
def fund() -> Callable[..., int]:
    """Top up a member's credit through the curators' service (a curator is made on demand)."""

    def top_up(member: Member, amount: int, currency: str = "EUR") -> int:
        from accounts.services import member_create

        curator = Member.objects.filter(is_curator=True).first() or member_create(
            username=f"treasurer{next(_unique)}", password=None, is_curator=True
        )
        return credits_top_up(
            curator=curator.user, member=member.user, amount=amount, currency=currency
        ).balance

    return top_up
