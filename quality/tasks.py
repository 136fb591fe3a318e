"""Celery tasks of the quality gate. Thin: take ids, call one service, idempotent."""

from celery import current_app, shared_task
from django.conf import settings

from core.tasks import enqueue
from quality import services


@shared_task(
    acks_late=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def check_version(version_id: int, requested_by_id: int | None = None) -> None:
    """Started by name after every confirmed pin (``COOP_AFTER_PIN_TASK``), and by re-runs."""
    outcome = services.version_check(version_id=version_id, requested_by_id=requested_by_id)
    if outcome.retry_in is not None and not current_app.conf.task_always_eager:
        enqueue(
            services.CHECK_TASK,
            version_id,
            requested_by_id,
            countdown=outcome.retry_in,
            on_commit=False,
        )
