"""Settings for eFactory Casos, read from the environment.

Environment variables:
    DATABASE_URL          database (default: SQLite file ``db.sqlite3`` in the project folder)
    DATABASE_REPLICA_URL  optional PostgreSQL streaming replica of DATABASE_URL: reports, charts
                          and exports read from it, falling back to the primary when it is
                          unset or down (efactory/replica.py)
    DJANGO_SECRET_KEY     required when DJANGO_DEBUG is off (else read from ./.secret_key)
    DJANGO_DEBUG          "1"/"true" turns debug on (default off)
    DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1)
    DJANGO_TIME_ZONE      default America/Caracas
    DJANGO_HTTPS          "1" when served over HTTPS: SSL redirect, secure cookies, HSTS
    DJANGO_PROXIES        number of trusted proxies in front (nginx: 1; default 0)
    DJANGO_IMPORTACION_PROCESOS  worker processes validating a big import (default 0: one
                          per core, up to 4; 1: none)
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "si", "sí"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
SECRET_KEY_FILE = BASE_DIR / ".secret_key"
if not SECRET_KEY and SECRET_KEY_FILE.is_file():
    # Written by `make run` on first use (random, git-ignored): a local install keeps
    # its sessions across restarts without anyone handling a secret.
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "efactory.acceso",  # after axes: its admin under Spanish names
    "customers",
    "cases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "efactory.middleware.LoginObligatorioMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins of a username+IP pair locked out after repeated failures.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the permissions read in one query instead of two.
    "efactory.permisos.Permisos",
]

# Widget templates may live in the project's templates/ folder (TemplatesSetting); Django's
# basic input, select and textarea widgets are drawn in Python (efactory/dibujo.py).
FORM_RENDERER = "efactory.dibujo.Renderizador"

ROOT_URLCONF = "efactory.urls"
WSGI_APPLICATION = "efactory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {"formato": "efactory.formato", "tablas": "efactory.tablas"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation cost up to 1.6 s on the few big queries of this app (Próximos at a
    # million cases) and never paid off: short OLTP queries do better without it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite keeps no persistent connections; IMMEDIATE transactions avoid "database is
    # locked" on lock upgrades, WAL lets readers run beside the writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# A second connection to the same database: the import's background run writes its progress
# through it, outside the transaction of its own writes (cases/tareas.py). In tests it is
# the default database itself.
DATABASES["progreso"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# Imports run in a thread of the web process and the page follows their progress; False
# runs them inside the request (the test suite, apart from the tests of the thread).
IMPORTACION_EN_SEGUNDO_PLANO = os.environ.get("IMPORTACION_EN_SEGUNDO_PLANO", "1") == "1"

# Worker processes that validate a big import on PostgreSQL (efactory/paralelo.py): 0, one
# per core up to 4; 1 validates in the process itself.
IMPORTACION_PROCESOS = int(os.environ.get("DJANGO_IMPORTACION_PROCESOS", "0") or 0)

# A read replica (a streaming standby of the primary): only the views that ask for it
# (reports, charts, exports) read from it, never a write; see efactory/replica.py. A short
# connect timeout and TCP keepalives make an unreachable replica fail fast: the request
# then reads the primary, and the replica is left alone for REPLICA_ESPERA_TRAS_FALLO s.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"].strip(), conn_max_age=60, conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL database.")
    DATABASES["replica"]["OPTIONS"] = {
        "options": "-c jit=off",
        "connect_timeout": 2,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    # Never a test database of its own (tests/test_replica.py builds a real replica).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["efactory.replica.RouterDeReplica"]
# Seconds a process reads from the primary after the replica failed, before trying it again.
REPLICA_ESPERA_TRAS_FALLO = 30

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A case may carry up to 2,000 activity rows of 9 fields each (cases.formsets.MAX_ACTIVIDADES);
# Django's default of 1,000 fields would refuse a case with about 110 rows.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 25_000
# Django's 2.5 MB would answer a pasted 3 MB comentario with a bare 400 and lose the page: up
# to 20 MB the form says which field is too long (efactory.textos) and keeps the input;
# beyond that, the 400 page explains (efactory.errores.solicitud_incorrecta).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Español")), ("en", _("Inglés"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "America/Caracas")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["efactory.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inicio"
LOGOUT_REDIRECT_URL = "login"

# "fragmentos": pieces of pages that depend only on what their cache key names (the filter
# panel of a list, keyed by FiltrosBase.firma()), kept in each process's memory: nothing to
# share between servers, since a key names everything its HTML depends on.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragmentos": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragmentos",
        "TIMEOUT": 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# django.contrib.sessions' database sessions, read with SQL compiled once (efactory/sesiones.py).
SESSION_ENGINE = "efactory.sesiones"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if env_bool("DJANGO_HTTPS"):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): 5 failures for one username from one address lock that
# pair for 15 minutes; a successful login resets the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/bloqueado.html"
AXES_VERBOSE = False
# Behind DJANGO_PROXIES trusted proxies (nginx: 1), the client's address is that many entries
# from the right of X-Forwarded-For; otherwise every person would share nginx's address and
# one person's failures would lock everyone out (deploy/nginx/efactory-comun.conf).
PROXIES = int(os.environ.get("DJANGO_PROXIES", "0") or 0)
AXES_CLIENT_IP_CALLABLE = "efactory.red.ip_del_cliente"

# Content-Security-Policy (django-csp): only this site's own files; no inline scripts or
# styles anywhere (Bootstrap's CSS needs data: images for its icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# A 403 is logged as a one-line warning, without the traceback Django attaches to it. The
# filter sits on the loggers (not on a handler) so that every handler gets the short record;
# a logger's filters do not see its children's records, hence django.security.csrf too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"sin_traza_403": {"()": "efactory.registro.SinTrazaEn403"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        nombre: {"filters": ["sin_traza_403"]}
        for nombre in ("django.request", "django.security", "django.security.csrf")
    },
}
