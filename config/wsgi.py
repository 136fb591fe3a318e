"""WSGI entry point for gunicorn and other WSGI servers."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.wsgi_input import LargeBodyReads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = LargeBodyReads(get_wsgi_application())

# Django imports the URLconf, and with it every view and the libraries they use, on the first
# request a process serves. Done here, each worker pays for it while it boots: measured 0.40 to
# 0.46 s added to the first request of every gunicorn worker (docs/benchmarks.md), which the
# first visitor after each deploy, or an upload arriving first, would otherwise wait for.
get_resolver().url_patterns  # noqa: B018 (the access is the import)
