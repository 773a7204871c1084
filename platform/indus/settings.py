"""Settings for Indus, read from the environment with safe embedded defaults.

With no environment at all, Indus runs the embedded default: SQLite and a Celery broker on
SQLite files under var/, artifacts in a local folder. Setting DATABASE_URL,
CELERY_BROKER_URL, CELERY_RESULT_BACKEND and INDUS_ARTIFACTS_BACKEND switches to PostgreSQL,
Redis and an S3-compatible store with no code change. README.md lists every setting.
"""
import secrets
from importlib.metadata import entry_points
from pathlib import Path

import environ

REPO_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

VAR_DIR = Path(env.str("INDUS_VAR_DIR", default=str(REPO_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    """A per-installation key kept under var/, so the embedded default needs no set-up."""
    key_file = VAR_DIR / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "indus.core.admin_site.IndusAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: the docs work offline
    "indus.core",
    "indus.plugins",
    "indus.training",
    "indus.inference",
    "indus.evaluation",
    "indus.tenancy",
    "indus.datasets",
    "indus.jobs",
    "indus.registry",
    "indus.api",
]

# --- Plugins --------------------------------------------------------------------------------
# Which installed plugins (entry-point names in the `indus` group) load; unset means all.
INDUS_PLUGINS = env.list("INDUS_PLUGINS", default=None)
# A plugin that needs its own models ships a Django app, named in the `indus.django_apps`
# entry-point group under the plugin's name. Reading entry points imports no plugin code.
INSTALLED_APPS += [
    entry_point.value
    for entry_point in sorted(entry_points(group="indus.django_apps"), key=lambda ep: ep.name)
    if INDUS_PLUGINS is None or entry_point.name in INDUS_PLUGINS
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
]

ROOT_URLCONF = "indus.urls"
WSGI_APPLICATION = "indus.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'indus.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and its heartbeat thread all write to one file: WAL lets
    # readers go on during a write, IMMEDIATE takes the write lock up front (no deadlock on
    # lock upgrade), and the timeout makes a writer wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("INDUS_STATIC_ROOT", default=str(VAR_DIR / "static")))
ARTIFACTS_BACKEND = env.str("INDUS_ARTIFACTS_BACKEND", default="local")
ARTIFACTS_DIR = Path(env.str("INDUS_ARTIFACTS_DIR", default=str(VAR_DIR / "artifacts")))
_artifact_storages = {
    "local": {
        "BACKEND": "indus.core.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": str(ARTIFACTS_DIR), "allow_overwrite": True},
    },
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("INDUS_S3_BUCKET", default="indus-artifacts"),
            "endpoint_url": env.str("INDUS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("INDUS_S3_REGION", default=None),
            "file_overwrite": True,
        },
    },
}
if ARTIFACTS_BACKEND not in _artifact_storages:
    raise environ.ImproperlyConfigured(
        f"INDUS_ARTIFACTS_BACKEND must be one of {sorted(_artifact_storages)}, not {ARTIFACTS_BACKEND!r}"
    )
STORAGES = {
    "default": _artifact_storages[ARTIFACTS_BACKEND],
    "artifacts": _artifact_storages[ARTIFACTS_BACKEND],
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads above the cap are refused before they are stored. Django keeps bodies above the
# memory limit in a temporary file, so a large upload never sits whole in memory.
INDUS_MAX_UPLOAD_BYTES = env.int("INDUS_MAX_UPLOAD_BYTES", default=1024**3)
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024**2
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024**2


# --- Jobs -----------------------------------------------------------------------------------
# Every job kind names the function that runs it (imported only inside a worker) and the
# queue whose workers can run it. ML kinds go to `gpu`; data kinds to `cpu`. `after_success`
# cleans up once the job has succeeded (indus.jobs.kinds).
INDUS_JOB_KINDS = {
    "import": {"runner": "indus.datasets.importing.run_import_job", "queue": "cpu",
               "after_success": "indus.datasets.importing.discard_upload"},
    "sample": {"runner": "indus.datasets.sampling.run_sample_job", "queue": "cpu"},
    "fine_tune": {"runner": "indus.training.runner.run_fine_tune_job", "queue": "gpu"},
    "sql_import": {"runner": "indus.datasets.sql_import.run_sql_import_job", "queue": "cpu"},
    "batch_inference": {"runner": "indus.inference.runner.run_batch_inference_job", "queue": "gpu"},
    "evaluate": {"runner": "indus.evaluation.runner.run_evaluate_job", "queue": "gpu"},
}
# A running job proves its worker is alive by a heartbeat; a job whose heartbeat is older
# than the lease is taken to have lost its worker and is sent again.
INDUS_JOB_HEARTBEAT_SECONDS = env.float("INDUS_JOB_HEARTBEAT_SECONDS", default=10.0)
INDUS_JOB_LEASE_SECONDS = env.float("INDUS_JOB_LEASE_SECONDS", default=90.0)
# A queued job that no worker claimed this long after its message was sent gets a new one.
INDUS_JOB_REDISPATCH_SECONDS = env.float("INDUS_JOB_REDISPATCH_SECONDS", default=600.0)
INDUS_JOB_MAX_ATTEMPTS = env.int("INDUS_JOB_MAX_ATTEMPTS", default=3)
INDUS_JOB_MAX_SECONDS = env.int("INDUS_JOB_MAX_SECONDS", default=2 * 24 * 3600)
INDUS_RECONCILE_SECONDS = env.float("INDUS_RECONCILE_SECONDS", default=30.0)
# Memory a training process may use on a worker (GPU memory on GPU workers): requests whose
# estimated need is larger are refused before they are queued.
INDUS_WORKER_MEMORY_BYTES = env.int("INDUS_WORKER_MEMORY_BYTES", default=16 * 1024**3)
# One fine-tuning job may run as several processes (DDP through torchrun) on its worker.
INDUS_MAX_TRAINING_PROCESSES = env.int("INDUS_MAX_TRAINING_PROCESSES", default=8)
# Batch inference writes its output in parts of this many rows; a job that resumes after its
# worker died redoes at most one part.
INDUS_INFERENCE_ROWS_PER_PART = env.int("INDUS_INFERENCE_ROWS_PER_PART", default=50_000)
# Where a job keeps its checkpoints while it runs. It must be shared by every worker that may
# take over the job (the artifacts volume in docker-compose.yml), so a resumed job finds them.
INDUS_WORK_DIR = Path(env.str("INDUS_WORK_DIR", default=str(ARTIFACTS_DIR / "work")))

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long jobs: a message is acknowledged only after its job ends, one message at a time per
# worker process, and a message whose worker process died goes back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message to another worker after the visibility timeout: it
# must outlast the longest job, or a healthy job would be delivered again while it runs.
# (The SQLAlchemy transport never redelivers on its own and passes its options to the engine.)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": INDUS_JOB_MAX_SECONDS + 3600}
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sqs://"))
    else {}
)
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "reconcile-jobs": {
        "task": "indus.jobs.reconcile",
        "schedule": INDUS_RECONCILE_SECONDS,
        "options": {"queue": "cpu", "expires": INDUS_RECONCILE_SECONDS},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- REST API -------------------------------------------------------------------------------
# Scripts authenticate with API tokens (Bearer, listed first so a missing login is a 401 that
# says how to authenticate); the admin and the browsable API with the session.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "indus.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "indus.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Bodies are JSON; the upload endpoint alone takes multipart.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "indus.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["indus.api.throttling.PerUserRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "indus.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "indus.api.errors.exception_handler",
    # Behind a reverse proxy: how many proxies' X-Forwarded-For entries to trust for the
    # client's address (throttling, the audit log). Unset trusts none.
    "NUM_PROXIES": env.int("INDUS_NUM_PROXIES", default=None),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Indus API",
    "DESCRIPTION": "Projects, datasets, jobs and models of an Indus installation; see docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# API tokens expire this many days after they are made, unless the request asks for fewer.
INDUS_API_TOKEN_DAYS = env.int("INDUS_API_TOKEN_DAYS", default=90)
# Requests one user may make (per web process), e.g. "6000/minute".
INDUS_API_RATE_LIMIT = env.str("INDUS_API_RATE_LIMIT", default="6000/minute")
# An SQL import's query is stopped after this long, unless the request asks for less.
INDUS_SQL_IMPORT_TIMEOUT_SECONDS = env.int("INDUS_SQL_IMPORT_TIMEOUT_SECONDS", default=3600)
# SQLite databases are files on the worker: an import may open one only under these folders.
INDUS_SQL_IMPORT_SQLITE_DIRS = env.list("INDUS_SQL_IMPORT_SQLITE_DIRS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
