"""Celery tasks for the upload pipeline. Each takes ids, calls one service, and is idempotent."""

from celery import current_app, shared_task
from django.conf import settings

from marketplace import services


@shared_task(acks_late=True, soft_time_limit=settings.IPFS_ADD_TIMEOUT)
def pin_version(version_id: int) -> None:
    outcome = services.version_pin(version_id=version_id)
    if outcome.retry_in is not None and not current_app.conf.task_always_eager:
        pin_version.apply_async((version_id,), countdown=outcome.retry_in)
    # In eager mode (no broker) nothing waits out a countdown; the beat sweep or the owner's
    # "retry now" button picks the pin up again.
    if outcome.pinned:
        after_pinned(version_id)


def after_pinned(version_id: int) -> None:
    """Start what follows a confirmed pin (the quality gate), named by the setting so this app
    never imports the later stages."""
    if settings.COOP_AFTER_PIN_TASK:
        current_app.signature(settings.COOP_AFTER_PIN_TASK, args=(version_id,)).delay()


@shared_task(acks_late=True)
def retry_due_pins() -> int:
    due = services.pins_due()
    for version_id in due:
        pin_version.delay(version_id)
    return len(due)
