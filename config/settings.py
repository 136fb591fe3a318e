"""Settings for the data cooperative.

Everything that differs between a laptop and production comes from the environment, and each
variable has a safe local default so that `make run` works on a bare machine:

- ``DATABASE_URL``: SQLite in the project folder by default; PostgreSQL in production and CI.
- ``CELERY_BROKER_URL``: unset means tasks run eagerly in-process; Redis in production and CI.
- ``IPFS_API_ADDR``: the local node that ``python manage.py ipfs_node start`` runs; a Kubo node
  or IPFS Cluster proxy in production.
- ``DJANGO_SECRET_KEY``: required whenever ``DJANGO_DEBUG`` is off.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


DEBUG = env_bool("DJANGO_DEBUG", default=False)
# pytest-django evaluates settings before any conftest can set variables, so the test run is
# recognised here; it never runs with DEBUG on, yet needs no production secret.
TESTING = "pytest" in sys.modules

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off the site refuses to start "
            "without a real secret (50+ random characters)."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too weak for a site running with DEBUG off.")

ALLOWED_HOSTS = [h for h in env_str("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("DJANGO_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # Cross-cutting primitives (errors, the API's conventions, enqueueing), below every app.
    "core",
    # Domain apps, in the order of the flow of data (see docs/architecture.md).
    "accounts",
    "ipfs",
    "transparency",
    "policy",
    "marketplace",
    "quality",
    "ledger",
    "licensing",
    "provenance",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its process_exception sees a view's domain error first.
    "core.web.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers (the web
    # process and an eager task) wait on the busy timeout instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}

# Per-process memory by default; ``CACHE_URL=redis://host:6379/2`` shares one cache among all
# workers (the catalogue's rendered responses, the transparency page's chain verification).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL")
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # The default (300) is smaller than a modest catalogue's detail pages.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The ledger's balance index carries the amount as an INCLUDE column for index-only sums on
# PostgreSQL; SQLite (the embedded default) ignores INCLUDE, which is harmless there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "marketplace:catalogue"
LOGOUT_REDIRECT_URL = "marketplace:catalogue"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Uploads -------------------------------------------------------------------------------
# Uploaded files stream to the staging directory in chunks while their sha256 and CID are
# computed (marketplace.uploads). They stay there until the IPFS pin is confirmed.
COOP_STAGING_DIR = Path(env_str("COOP_STAGING_DIR", str(BASE_DIR / "var" / "staging")))
COOP_UPLOAD_MAX_BYTES = env_int("COOP_UPLOAD_MAX_BYTES", 2 * 1024**3)
FILE_UPLOAD_HANDLERS = ["marketplace.uploads.StagingUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o640

# --- IPFS ----------------------------------------------------------------------------------
IPFS_LOCAL_REPO = Path(env_str("IPFS_LOCAL_REPO", str(BASE_DIR / ".ipfs")))
IPFS_LOCAL_API_PORT = env_int("IPFS_LOCAL_API_PORT", 5001)
IPFS_LOCAL_GATEWAY_PORT = env_int("IPFS_LOCAL_GATEWAY_PORT", 8088)
IPFS_API_ADDR = env_str("IPFS_API_ADDR", f"/ip4/127.0.0.1/tcp/{IPFS_LOCAL_API_PORT}/http")
IPFS_TIMEOUT = env_int("IPFS_TIMEOUT", 30)
IPFS_ADD_TIMEOUT = env_int("IPFS_ADD_TIMEOUT", 3600)
# Stream uploads to the node while they arrive (see marketplace.uploads.NodeFeed).
COOP_ADD_WHILE_UPLOADING = env_bool("COOP_ADD_WHILE_UPLOADING", True)
# Pinning retries back off exponentially from the base, capped, for at most this many attempts.
PIN_RETRY_BASE_SECONDS = env_int("PIN_RETRY_BASE_SECONDS", 5)
PIN_RETRY_MAX_SECONDS = env_int("PIN_RETRY_MAX_SECONDS", 600)
PIN_MAX_ATTEMPTS = env_int("PIN_MAX_ATTEMPTS", 12)

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery still builds a producer for eager calls; the in-memory transport keeps it from
    # pointing at an AMQP broker on localhost that nobody configured.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "coop")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3700)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A pool process is replaced after a task that left it above this many KiB resident, so memory
# a large task touched goes back to the machine (the gate itself runs in a child process).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 512_000)
CELERY_BEAT_SCHEDULE = {
    "retry-due-pins": {"task": "marketplace.tasks.retry_due_pins", "schedule": 30.0},
    "anchor-provenance-head": {
        "task": "transparency.tasks.anchor_head",
        "schedule": float(env_int("PROVENANCE_ANCHOR_SECONDS", 3600)),
    },
}

# --- Quality gate ----------------------------------------------------------------------------
# Each check runs in a child process (quality.isolation) whose address space is capped here:
# a file that needs more fails its check, never the host. Forked GX workers (QUALITY_WORKERS)
# have the same cap each.
QUALITY_CHECK_MEMORY_BYTES = env_int("QUALITY_CHECK_MEMORY_BYTES", 4 * 1024**3)
QUALITY_CHECK_TIMEOUT_SECONDS = env_int("QUALITY_CHECK_TIMEOUT_SECONDS", 3300)
# Refused from the metadata (or while streaming) before a file is expanded: decompression
# bombs, and files whose columns could not be held one at a time (quality.reading).
QUALITY_MAX_ROWS = env_int("QUALITY_MAX_ROWS", 50_000_000)
QUALITY_MAX_CELLS = env_int("QUALITY_MAX_CELLS", 500_000_000)
QUALITY_MAX_EXPANDED_BYTES = env_int("QUALITY_MAX_EXPANDED_BYTES", 4 * 1024**3)
QUALITY_MAX_JSON_DEPTH = env_int("QUALITY_MAX_JSON_DEPTH", 64)
# Arrow bytes of the columns GX validates together (quality.checks.plan).
QUALITY_GROUP_BYTES = env_int("QUALITY_GROUP_BYTES", 256 * 1024**2)
# Groups run in forked GX workers only from this many rows, and only up to this many Arrow
# bytes of table (above it two workers would double the peak; see bench/quality.py).
QUALITY_PARALLEL_MIN_ROWS = env_int("QUALITY_PARALLEL_MIN_ROWS", 200_000)
QUALITY_PARALLEL_MAX_BYTES = env_int("QUALITY_PARALLEL_MAX_BYTES", 512 * 1024**2)

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Data Cooperative API",
    "DESCRIPTION": (
        "Catalogue, licensing, downloads and provenance of the data cooperative. "
        "Authenticate with `Authorization: Token <key>` (create keys on your profile page)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)

# The cooperative policy's first version (a curator, later a motion, makes the next ones):
# the fee, the part of model earnings owed to the data, and the most a derived version may
# pass to its parents, in basis points (1000 is 10 %).
COOP_FEE_BASIS_POINTS = env_int("COOP_FEE_BASIS_POINTS", 1000)
COOP_DATA_SHARE_BASIS_POINTS = env_int("COOP_DATA_SHARE_BASIS_POINTS", 3000)
COOP_MAX_ROYALTY_STACK_BASIS_POINTS = env_int("COOP_MAX_ROYALTY_STACK_BASIS_POINTS", 5000)

# The pipeline step after a confirmed pin, named rather than imported so that marketplace
# never depends on the stages after it (quality imports marketplace, not the other way round).
COOP_AFTER_PIN_TASK = env_str("COOP_AFTER_PIN_TASK", "quality.tasks.check_version")
