"""Periodic work on the provenance chain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.conf import settings

from transparency import services


@shared_task(acks_late=True, soft_time_limit=settings.IPFS_TIMEOUT * 4)
def anchor_head() -> str | None:
    """Anchor the current head on IPFS; does nothing if that head is already anchored."""
    anchor = services.anchor_head()
    return anchor.cid if anchor is not None else None
