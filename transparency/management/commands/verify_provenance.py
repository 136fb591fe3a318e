"""``python manage.py verify_provenance``: check the whole hash chain, name the first bad record."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from transparency.models import ProvenanceRecord
from transparency.services import chain_verify


class Command(BaseCommand):
    help = "Verify the provenance hash chain and name the first record that does not hold."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = chain_verify()
        if problem is not None:
            raise CommandError(
                f"Provenance chain broken at record #{problem.seq}: {problem.reason}"
            )
        count = ProvenanceRecord.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Provenance chain intact: {count} records."))
