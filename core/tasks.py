"""Queueing Celery tasks by name, after the current transaction commits: ``enqueue``.

Services name the task they start instead of importing it. A task module imports its service,
so a service importing its task would be an import cycle, even inside a function; and a stage
never imports the stages after it (the pin starts the quality gate by the name in
``COOP_AFTER_PIN_TASK``). The name must be registered in every process, web included (an app
with tasks imports them in its ``AppConfig.ready``): in eager mode, a name the app does not
know would be published to the in-memory broker and silently never run.

A broker that cannot be reached does not fail the request: the fact that needed the task is
already committed, so the error is logged with the task and its arguments and the caller goes
on (the beat sweeps, e.g. ``retry_due_pins``, pick such work up again). An exception raised by a
task that runs eagerly is the task's own and propagates.
"""

import logging
from typing import Any

import redis.exceptions
from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

# What publishing raises when the broker is down or unreachable (kombu wraps most transport
# errors in OperationalError once its retries are spent; sockets raise OSError).
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    OSError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def enqueue(
    task_name: str,
    *args: Any,
    countdown: int | None = None,
    on_commit: bool = True,
    **kwargs: Any,
) -> None:
    """Queue ``task_name(*args, **kwargs)`` once the current transaction commits (at once when
    there is none, or with ``on_commit=False``), ``countdown`` seconds from then."""

    def publish() -> None:
        app = current_app
        signature = app.signature(task_name, args=args, kwargs=kwargs)
        if countdown is not None:
            signature.set(countdown=countdown)
        if app.conf.task_always_eager:
            if task_name not in app.tasks:
                raise LookupError(f"No Celery task named {task_name!r} is registered.")
            # Runs here and now; whatever the task raises is its own and propagates.
            signature.apply_async()
            return
        try:
            signature.apply_async()
        except BROKER_ERRORS as exc:
            log.error(
                "could not queue %s(args=%r, kwargs=%r): the broker is unreachable (%s: %s)",
                task_name,
                args,
                kwargs,
                type(exc).__name__,
                exc,
            )

    if on_commit:
        transaction.on_commit(publish)
    else:
        publish()
