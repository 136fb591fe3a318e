"""``python manage.py load_demo``: a small demo cooperative with known logins. Idempotent."""

import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.services import member_create
from demo import data
from ledger.services import credits_top_up
from licensing.services import offer_create, purchase_create, request_fingerprint
from marketplace import services
from marketplace.models import DatasetVersion, VersionStatus
from marketplace.uploads import staged_from_path
from provenance.services import RunInputSpec, model_create, training_run_record

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
            self._market(air)
        self.stdout.write(self.style.SUCCESS("Demo cooperative loaded."))

    def _market(self, air: DatasetVersion) -> None:
        """Offers on the admitted data, a purchase by bob, and a model he trained with it."""
        users = get_user_model().objects
        alice, bob, carol = (users.get(username=n) for n in ("alice", "bob", "carol"))
        air.refresh_from_db()
        if air.status != VersionStatus.ADMITTED:
            return
        research = offer_create(
            user=alice,
            dataset=air.dataset,
            license="CC-BY-4.0",
            use="research",
            price=1250,
            duration_days=30,
        )
        offer_create(
            user=alice,
            dataset=air.dataset,
            license="CC-BY-4.0",
            use="commercial",
            price=9900,
        )
        credits_top_up(curator=carol, member=bob, amount=10_000, note="Demo credit")
        purchase_create(
            buyer=bob,
            offer=research,
            idempotency_key="demo-purchase-1",
            fingerprint=request_fingerprint({"offer": research.pk}),
        )
        model = model_create(
            owner=bob,
            name="Lisbon PM2.5 forecaster",
            description="Gradient-boosted trees predicting next-hour PM2.5 per station.",
        )
        started = timezone.now() - timedelta(hours=2)
        training_run_record(
            user=bob,
            model=model,
            started_at=started,
            ended_at=started + timedelta(minutes=40),
            used=[RunInputSpec(version=air)],
            parameters={"learner": "lightgbm", "n_estimators": 400, "target": "pm25"},
        )
        self.stdout.write("  offers, a purchase by bob and his model 'Lisbon PM2.5 forecaster'")

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
