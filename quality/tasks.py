"""Celery tasks of the quality gate. Thin: take ids, call one service, idempotent."""

from celery import current_app, shared_task
from django.conf import settings

from quality import services


@shared_task(
    acks_late=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def check_version(version_id: int, requested_by_id: int | None = None) -> None:
    """Started by marketplace.tasks.pin_version after every confirmed pin, and by re-runs."""
    outcome = services.version_check(version_id=version_id, requested_by_id=requested_by_id)
    if outcome.retry_in is not None and not current_app.conf.task_always_eager:
        check_version.apply_async((version_id, requested_by_id), countdown=outcome.retry_in)
