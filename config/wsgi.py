"""WSGI entry point for gunicorn and other WSGI servers."""

import os

from django.core.wsgi import get_wsgi_application

from config.wsgi_input import LargeBodyReads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = LargeBodyReads(get_wsgi_application())
