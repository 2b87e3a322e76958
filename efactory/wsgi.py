"""WSGI entry point (gunicorn efactory.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")

application = get_wsgi_application()
