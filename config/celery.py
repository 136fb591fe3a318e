"""The Celery application.

Tasks are thin (see STYLE.md): they take ids, load rows and call one service. Without a broker
(`CELERY_BROKER_URL` unset) every task runs eagerly in the calling process, which is how the
embedded `make run` default and the local test suite work.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
