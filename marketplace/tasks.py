"""Celery tasks for the upload pipeline. Each takes ids, calls one service, and is idempotent."""

from celery import current_app, shared_task
from django.conf import settings

from core.tasks import enqueue
from marketplace import services


@shared_task(acks_late=True, soft_time_limit=settings.IPFS_ADD_TIMEOUT)
def pin_version(version_id: int) -> None:
    """A confirmed pin queues what follows it (``services.after_pin_enqueue``)."""
    outcome = services.version_pin(version_id=version_id)
    # In eager mode (no broker) nothing waits out a countdown; the beat sweep or the owner's
    # "retry now" button picks the pin up again.
    if outcome.retry_in is not None and not current_app.conf.task_always_eager:
        enqueue(services.PIN_TASK, version_id, countdown=outcome.retry_in, on_commit=False)


@shared_task(acks_late=True)
def retry_due_pins() -> int:
    due = services.pins_due()
    for version_id in due:
        enqueue(services.PIN_TASK, version_id, on_commit=False)
    return len(due)
