"""Settings for Indus, read from the environment with safe embedded defaults.

With no environment at all, Indus runs the embedded default: SQLite and a Celery broker on
SQLite files under var/, artifacts in a local folder. Setting DATABASE_URL,
CELERY_BROKER_URL, CELERY_RESULT_BACKEND and INDUS_ARTIFACTS_BACKEND switches to PostgreSQL,
Redis and an S3-compatible store with no code change. README.md lists every setting.
"""
import os
import secrets
import time
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path

import environ
from cryptography.fernet import Fernet

REPO_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

VAR_DIR = Path(env.str("INDUS_VAR_DIR", default=str(REPO_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_key(name: str, generate) -> str:
    """A per-installation key kept under var/, so the embedded default needs no set-up. It is
    written to a private draft that is then linked into place: processes starting together
    (web, worker) all read the one key that won, never a half-written one. The draft's name is
    random, not the pid: containers sharing var/ all run as pid 1."""
    key_file = VAR_DIR / name
    if not key_file.exists():
        draft = VAR_DIR / f".{name}.{secrets.token_hex(8)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate())
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links (some network and FUSE mounts)
            _create_exclusively(key_file, draft.read_text())
        finally:
            draft.unlink()
    return _read_key(key_file)


def _create_exclusively(key_file: Path, key: str) -> None:
    """Where links are not supported: the first process to create the file writes it; a
    process that reads it in between sees it empty and waits for the key (`_read_key`)."""
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)


def _read_key(key_file: Path, attempts: int = 50) -> str:
    for _ in range(attempts):
        if key := key_file.read_text().strip():
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{key_file} is empty: delete it, and the next start makes a new key")


SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_key("secret-key", lambda: secrets.token_urlsafe(50))
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "indus.tenancy.admin_site.IndusAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: the docs work offline
    "axes",  # failed admin logins, counted per username and per address (see "Security" below)
    "indus.core",
    "indus.plugins",
    "indus.training",
    "indus.inference",
    "indus.evaluation",
    "indus.tenancy",
    "indus.datasets",
    "indus.bindings",
    "indus.jobs",
    "indus.registry",
    "indus.sweeps",  # hyperparameter sweeps: Optuna studies whose trials are fine-tuning jobs
    "indus.api",
    "indus.serving",  # the `serve` command; torch loads in that process only
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
    # First: a request body over its budget is refused before any other code can read it.
    "indus.core.request_bodies.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Binds the request for the audit entries the services record (it needs the user above).
    "indus.tenancy.audit.AuditOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Every other request body (JSON, admin forms) is refused above INDUS_MAX_REQUEST_BYTES, and
# outside the API a body from no logged-in user (the login form) above the anonymous limit:
# indus.core.request_bodies answers 413 from the declared length, before a byte is read.
INDUS_MAX_REQUEST_BYTES = env.int("INDUS_MAX_REQUEST_BYTES", default=2_621_440)
INDUS_MAX_ANONYMOUS_REQUEST_BYTES = env.int("INDUS_MAX_ANONYMOUS_REQUEST_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = INDUS_MAX_REQUEST_BYTES
# What one imported file may hold once decoded: a few kilobytes of compressed Parquet can
# decode to gigabytes. The import checks the rows before decoding them and fails naming the limit.
INDUS_IMPORT_MAX_ROWS = env.int("INDUS_IMPORT_MAX_ROWS", default=50_000_000)
INDUS_IMPORT_MAX_DECODED_BYTES = env.int("INDUS_IMPORT_MAX_DECODED_BYTES", default=4 * 1024**3)
INDUS_IMPORT_MAX_VALUE_BYTES = env.int("INDUS_IMPORT_MAX_VALUE_BYTES", default=512 * 1024)
# A file's columns: each is profiled and written on its own, so a small file of many columns
# is large work. Checked from the CSV header, the first JSON block or the Parquet footer.
INDUS_IMPORT_MAX_COLUMNS = env.int("INDUS_IMPORT_MAX_COLUMNS", default=2_000)
# The text, binary and list values one Parquet row group may hold: the footer does not say how
# they spread over its rows, so a worker may have to hold them at once. Checked from the footer.
INDUS_IMPORT_MAX_ROW_GROUP_BYTES = env.int("INDUS_IMPORT_MAX_ROW_GROUP_BYTES", default=512 * 1024**2)
# A preview of a version's rows (API, admin) holds at most this many bytes, long values cut.
INDUS_PREVIEW_MAX_BYTES = env.int("INDUS_PREVIEW_MAX_BYTES", default=1024**2)


# --- Jobs -----------------------------------------------------------------------------------
# Job kinds are declared by the apps that own them (`<app>/kind.py`) and by plugins, not here:
# see indus.jobs.kinds.
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
# A sweep's coordinator looks at its trials' jobs this often (it queues, tells Optuna, prunes).
INDUS_SWEEP_POLL_SECONDS = env.float("INDUS_SWEEP_POLL_SECONDS", default=5.0)
# Batch inference writes its output in parts of this many rows; a job that resumes after its
# worker died redoes at most one part.
INDUS_INFERENCE_ROWS_PER_PART = env.int("INDUS_INFERENCE_ROWS_PER_PART", default=50_000)
# A job of a kind that runs in parts (batch inference) over more rows than INDUS_JOB_PART_ROWS
# is split into parts of about that many rows, at most INDUS_JOB_MAX_PARTS, which the idle
# workers of its queue claim; a smaller job runs whole, as one part, on one worker.
INDUS_JOB_PART_ROWS = env.int("INDUS_JOB_PART_ROWS", default=50_000)
INDUS_JOB_MAX_PARTS = env.int("INDUS_JOB_MAX_PARTS", default=64)
# Where a job keeps its checkpoints while it runs. It must be shared by every worker that may
# take over the job (the artifacts volume in docker-compose.yml), so a resumed job finds them.
INDUS_WORK_DIR = Path(env.str("INDUS_WORK_DIR", default=str(ARTIFACTS_DIR / "work")))

# --- Online serving (`manage.py serve`; see "Serving" in the README) -------------------------
INDUS_SERVING_URL = env.str("INDUS_SERVING_URL", default="http://127.0.0.1:8100")  # shown in the admin
INDUS_SERVING_MAX_BATCH_ROWS = env.int("INDUS_SERVING_MAX_BATCH_ROWS", default=32)
INDUS_SERVING_MAX_WAIT_MS = env.float("INDUS_SERVING_MAX_WAIT_MS", default=10.0)
INDUS_SERVING_MAX_QUEUE_ROWS = env.int("INDUS_SERVING_MAX_QUEUE_ROWS", default=1024)  # per model version
INDUS_SERVING_REQUEST_TIMEOUT_SECONDS = env.float("INDUS_SERVING_REQUEST_TIMEOUT_SECONDS", default=10.0)
INDUS_SERVING_MAX_ROWS = env.int("INDUS_SERVING_MAX_ROWS", default=256)  # per request
INDUS_SERVING_MAX_BODY_BYTES = env.int("INDUS_SERVING_MAX_BODY_BYTES", default=1024**2)
INDUS_SERVING_MEMORY_BYTES = env.int("INDUS_SERVING_MEMORY_BYTES", default=4 * 1024**3)
# What a CPU computes in: float32 (as batch inference does), bfloat16, or auto (bfloat16 where
# the CPU multiplies it natively: AVX512-BF16 or AMX). A GPU computes in bf16 or fp16 regardless.
INDUS_SERVING_CPU_PRECISION = env.str("INDUS_SERVING_CPU_PRECISION", default="float32")
# Torch's threads for a served forward; 0: every core the process may use.
INDUS_SERVING_COMPUTE_THREADS = env.int("INDUS_SERVING_COMPUTE_THREADS", default=0)
# Tokens, roles and aliases are read again after this long: an alias move or a revoked token
# takes effect within it.
INDUS_SERVING_REFRESH_SECONDS = env.float("INDUS_SERVING_REFRESH_SECONDS", default=1.0)
# Request logging (opt-in per alias): logged rows are stored this often, and at most this many
# wait in a serving process's memory (more are dropped and counted).
INDUS_SERVING_REQUEST_LOG_FLUSH_SECONDS = env.float("INDUS_SERVING_REQUEST_LOG_FLUSH_SECONDS", default=60.0)
INDUS_SERVING_REQUEST_LOG_BUFFER_ROWS = env.int("INDUS_SERVING_REQUEST_LOG_BUFFER_ROWS", default=10_000)
# Serving processes answering the same aliases (`serve --replicas N` sets it for its processes):
# each logs at most its share of an alias's rows per hour.
INDUS_SERVING_REPLICAS = env.int("INDUS_SERVING_REPLICAS", default=1)
# `"explain": true` on the plain JSON route: at most this many rows per request (captum is costly).
INDUS_SERVING_EXPLAIN_MAX_ROWS = env.int("INDUS_SERVING_EXPLAIN_MAX_ROWS", default=16)
# /metrics answers a bearer token equal to this, or an API token of a staff user; nothing else.
INDUS_SERVING_METRICS_TOKEN = env.str("INDUS_SERVING_METRICS_TOKEN", default="")

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
# Behind a reverse proxy: how many proxies' X-Forwarded-For entries to trust for the client's
# address (the audit log, login throttling, API throttling: indus.tenancy.audit.client_address).
# Unset trusts none; docker-compose.yml sets 1, its nginx (docs/security.md).
INDUS_NUM_PROXIES = env.int("INDUS_NUM_PROXIES", default=None)
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
    # DRF's own reading of the client's address (anonymous throttling): the same proxies.
    "NUM_PROXIES": INDUS_NUM_PROXIES,
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The CLI's other spellings of a submission's flags (`--model` for `--model-name`).
        "indus.api.serializers.job_submissions.add_flag_spellings",
    ],
}
# API tokens expire this many days after they are made, unless the request asks for fewer.
INDUS_API_TOKEN_DAYS = env.int("INDUS_API_TOKEN_DAYS", default=90)
# Requests one user may make (per web process), e.g. "6000/minute".
INDUS_API_RATE_LIMIT = env.str("INDUS_API_RATE_LIMIT", default="6000/minute")
# An SQL import is stopped after this long (connecting included), unless the request asks for less.
INDUS_SQL_IMPORT_TIMEOUT_SECONDS = env.int("INDUS_SQL_IMPORT_TIMEOUT_SECONDS", default=3600)
# SQLite databases are files on the worker: an import may open one only under these folders
# (none: SQLite imports are off).
INDUS_SQL_IMPORT_SQLITE_DIRS = env.list("INDUS_SQL_IMPORT_SQLITE_DIRS", default=[])
# The database servers an import may reach: names, `.domain` suffixes, addresses and networks
# (CIDR), `*` for any name. Empty: any host but loopback, link-local and the platform's own
# services. A listed address or network is reachable even if it is loopback (docs/security.md).
INDUS_SQL_IMPORT_ALLOWED_HOSTS = env.list("INDUS_SQL_IMPORT_ALLOWED_HOSTS", default=[])
# Credentials kept for retries (keep_credentials) are deleted after this many days.
INDUS_SQL_KEPT_CREDENTIALS_DAYS = env.int("INDUS_SQL_KEPT_CREDENTIALS_DAYS", default=7)
# Fernet keys (comma-separated) that encrypt stored SQL connection URLs: the first encrypts,
# every one decrypts, so a new key goes first and an old one stays until rows are rotated.
INDUS_CREDENTIALS_KEYS = env.list("INDUS_CREDENTIALS_KEYS", default=[]) or [
    _embedded_key("credentials-key", lambda: Fernet.generate_key().decode())
]

# --- Security (docs/security.md) -------------------------------------------------------------
# HTTPS: off in the embedded default (plain http://127.0.0.1), on in docker-compose.yml, where a
# TLS proxy in front of the web service sets X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env.bool("INDUS_SECURE_SSL_REDIRECT", default=False)
# Compose's healthcheck calls the container over plain HTTP; a redirect would fail it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("INDUS_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("INDUS_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("INDUS_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("INDUS_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("INDUS_SECURE_COOKIES", default=False)

# Admin logins (django-axes): after INDUS_LOGIN_FAILURE_LIMIT failures a username is refused
# from every address, and an address for every username, until INDUS_LOGIN_LOCKOUT_MINUTES
# have passed since the failure that locked it. A success does not clear the count: it would let an
# attacker with an account of their own reset their address's count between guesses.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("INDUS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("INDUS_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
# A lock ends INDUS_LOGIN_LOCKOUT_MINUTES after the failure that caused it: attempts made while
# locked are refused without being counted. Counted (axes' default), one guess every few
# minutes would keep anyone's account locked for good. An operator lifts a lock at once with
# `manage.py axes_reset_username <username>` (docs/security.md).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The same client address as the audit log's: X-Forwarded-For only through INDUS_NUM_PROXIES.
AXES_CLIENT_IP_CALLABLE = "indus.tenancy.audit.client_address"
AXES_LOCKOUT_CALLABLE = "indus.core.login_lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Not the start-up banner in every process (web, workers, commands); failures are still logged.
AXES_VERBOSE = False

# Content-Security-Policy (django-csp) on every response: scripts, styles, images and fonts
# from this server only. The admin runs no inline script; the API docs page loads its Swagger
# UI set-up as a script of its own (SpectacularSwaggerSplitView). Inline styles stay allowed:
# the admin's charts and Swagger UI's page use style attributes, which run no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # The admin's and Swagger UI's icons are data: URIs in their style sheets.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
