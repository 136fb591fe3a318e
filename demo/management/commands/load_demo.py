"""``python manage.py load_demo``: a small demo cooperative with known logins. Idempotent."""

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import member_create
from demo import data
from marketplace import services
from marketplace.models import DatasetVersion, VersionStatus
from marketplace.uploads import staged_from_path

PASSWORD = "coop-demo-2026"  # noqa: S105 (documented demo login, local only)
# username, display name, contributor, buyer, curator
MEMBERS = [
    ("alice", "Alice (contributor)", True, False, False),
    ("dave", "Dave (contributor)", True, True, False),
    ("bob", "Bob (buyer)", False, True, False),
    ("carol", "Carol (curator)", True, True, True),
]


class Command(BaseCommand):
    help = "Create demo members and datasets (skipped if they already exist)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        if users.filter(username="alice").exists():
            self.stdout.write("Demo cooperative already loaded.")
            return
        for username, display, contributor, buyer, curator in MEMBERS:
            member_create(
                username=username,
                password=PASSWORD,
                display_name=display,
                is_contributor=contributor,
                is_buyer=buyer,
                is_curator=curator,
            )
        alice = users.get(username="alice")
        dave = users.get(username="dave")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            air = self._upload(
                alice,
                data.air_quality(folder / "lisbon-air-quality-2025.csv"),
                "Lisbon urban air quality, hourly (Jan 2025)",
                "Hourly PM2.5, PM10 and NO2 readings from four community sensor stations.",
                "CC-BY-4.0",
                "csv",
            )
            self._upload(
                dave,
                data.bird_counts(folder / "lisbon-bird-counts.jsonl"),
                "Community bird counts, Lisbon parks",
                "Daily counts of common urban bird species by volunteer observers.",
                "CC0-1.0",
                "jsonl",
            )
            self._upload(
                alice,
                data.household_energy(folder / "household-energy-2025.parquet"),
                "Household electricity use by month",
                "Monthly kWh of twenty member households, with their heating type.",
                "ODbL-1.0",
                "parquet",
            )
            if self._wait_admitted(air):
                self._upload(
                    dave,
                    data.air_quality_daily(folder / "lisbon-air-quality-daily.csv"),
                    "Lisbon air quality, daily means",
                    "Daily means per station, derived from the hourly readings.",
                    "CC-BY-4.0",
                    "csv",
                    parents=[services.ParentSpec(version=air, weight=Decimal("0.3"))],
                )
        self.stdout.write(self.style.SUCCESS("Demo cooperative loaded."))

    def _upload(
        self,
        user: Any,
        path: Path,
        title: str,
        description: str,
        license: str,
        fmt: str,
        parents: list[services.ParentSpec] | None = None,
    ) -> DatasetVersion:
        version = services.dataset_create(
            user=user,
            title=title,
            description=description,
            license=license,
            fmt=fmt,
            upload=staged_from_path(path),
            parents=parents or [],
        )
        self.stdout.write(f"  {title}: {version.cid} ({version.size} bytes)")
        return version

    def _wait_admitted(self, version: DatasetVersion, timeout: float = 120) -> bool:
        """With a worker the pipeline runs in the background; derived data needs its parent
        admitted first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            version.refresh_from_db()
            if version.status == VersionStatus.ADMITTED:
                return True
            if version.is_terminal:
                break
            time.sleep(1)
        self.stdout.write(f"  (skipped the derived dataset: parent is {version.status})")
        return False
