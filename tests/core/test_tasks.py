"""Enqueueing by name (core.tasks.enqueue): after the commit, never a 500 for a broker that is
down, and a task's own errors left alone."""

import logging
import socket
from http import HTTPStatus

import pytest
from celery import Celery, current_app
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tasks import enqueue
from marketplace.models import Dataset, DatasetVersion
from marketplace.services import PIN_TASK
from quality.services import CHECK_TASK


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_as_current():
    """Make a Celery app of the test's own the current one, and restore the project's after."""
    previous = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy

    def use(app: Celery) -> Celery:
        app.set_current()
        return app

    yield use
    previous.set_current()


@pytest.fixture
def broker_down(app_as_current, monkeypatch) -> Celery:
    """A non-eager app whose broker is a closed port: every publish fails to connect."""
    # Celery prefers CELERY_BROKER_URL (set under CI) to the URL an app is given.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    url = f"redis://127.0.0.1:{_free_port()}/0"
    app = Celery("broker-down", broker=url, set_as_current=False)
    app.conf.task_always_eager = False
    app.conf.broker_connection_timeout = 1
    app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0}
    assert app.conf.broker_url == url
    return app_as_current(app)


@pytest.fixture
def eager(app_as_current) -> Celery:
    app = Celery("eager", set_as_current=False)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    return app_as_current(app)


def test_every_task_named_by_a_service_is_registered():
    for name in (PIN_TASK, CHECK_TASK, settings.COOP_AFTER_PIN_TASK):
        assert name in current_app.tasks, name


def test_an_unreachable_broker_is_logged_not_raised(broker_down, caplog):
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        enqueue(PIN_TASK, 42, on_commit=False)

    [record] = caplog.records
    assert record.getMessage().startswith(
        f"could not queue {PIN_TASK}(args=(42,), kwargs={{}}): the broker is unreachable"
    )


def test_a_committed_upload_is_201_when_the_broker_is_down(
    transactional_db, alice, api_as, broker_down, caplog
):
    client = api_as(alice)
    body = {
        "title": "Air quality",
        "license": "CC-BY-4.0",
        "format": "csv",
        "file": SimpleUploadedFile("air.csv", b"city,pm25\nLisbon,11.2\n", content_type="text/csv"),
    }
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        response = client.post("/api/v1/datasets/", body, format="multipart")

    assert response.status_code == HTTPStatus.CREATED
    version = DatasetVersion.objects.get()
    assert Dataset.objects.get().pk == version.dataset_id
    # The next stage (the pin task, or the gate for a version pinned as it arrived) is
    # logged for the sweep, not lost silently.
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert f"(args=({version.pk},)" in messages[0]


def test_an_eager_tasks_own_error_propagates(eager):
    @eager.task(name="tests.core.disk_full")
    def disk_full() -> None:
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        enqueue("tests.core.disk_full", on_commit=False)


def test_an_unknown_name_is_refused_in_eager_mode(eager):
    with pytest.raises(LookupError, match=r"No Celery task named 'tests\.core\.nothing'"):
        enqueue("tests.core.nothing", on_commit=False)


def test_it_waits_for_the_commit(eager, db, django_capture_on_commit_callbacks):
    calls: list[int] = []

    @eager.task(name="tests.core.record")
    def record(n: int) -> None:
        calls.append(n)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue("tests.core.record", 7)
        assert calls == []
    assert len(callbacks) == 1
    assert calls == [7]
