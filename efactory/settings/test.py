"""Fast settings for the test suite (pytest uses this module)."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders so browser tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: concurrency tests open several connections at once.
    # One file per test process, so that two runs at once do not delete each other's.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"efactory-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"].pop("init_command", None)
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["progreso"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# The suite reads reports from the primary; tests/test_replica.py builds a real replica and
# adds the alias itself. A DATABASE_REPLICA_URL left in the shell is not the suite's.
DATABASES.pop("replica", None)
IMPORTACION_EN_SEGUNDO_PLANO = False

# django-axes needs the request in authenticate(); tests log in with client.login() and
# force_login(). The login-throttling tests turn it on with the settings fixture.
AXES_ENABLED = False
