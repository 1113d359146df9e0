"""Settings for the school management information system.

Everything that differs between a laptop and a deployment comes from the environment
(see README, "Configuration"). Without any variable set the project runs as the embedded
default: SQLite, eager background jobs, DEBUG on.  ``SMS_ENV=production`` switches to the
hardened profile that ``manage.py check --deploy`` accepts.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SMS_ENV = env("SMS_ENV", "development")
PRODUCTION = SMS_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when SMS_ENV=production.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdefghij"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
SMS_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "rules",
    "axes",
    # the platform
    "sms",
    "sms.accounts",
    "sms.org",
    "sms.audit",
    "sms.api",
    "sms.portal",
    "sms.exports",
    "sms.files",
    "sms.jobs",
    "sms.shell",
    # the eight information systems of Circular 53/2012, Art. 15
    "students",
    "teachers",
    "equipment",
    "library",
    "documents",
    "exams",
    "accreditation",
    "literacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sms.http.PrivateResponsesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # before LoginRequiredMiddleware: a request after the idle timeout is sent to log in
    "sms.accounts.middleware.IdleTimeoutMiddleware",
    "sms.accounts.middleware.LoginRequiredMiddleware",
    "sms.accounts.middleware.ActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sms.urls"
WSGI_APPLICATION = "sms.wsgi.application"
ASGI_APPLICATION = "sms.asgi.application"

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
                "sms.accounts.context_processors.actor",
                "sms.shell.context_processors.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60") or 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20})


def _postgres_options(database: dict) -> None:
    """PostgreSQL's JIT compilation off for the application's sessions (``DB_JIT=on`` keeps the server's
    setting). Its default thresholds are crossed by the Sở's reports over a province: compiling took 0.43 s
    of the completion report's 0.68 s, on a query that needs no compiling (bench/RESULTS.md, oversight).
    Behind a pooler that refuses start-up options, set ``ALTER DATABASE … SET jit = off`` instead."""
    if database["ENGINE"] == "django.db.backends.postgresql" and env("DB_JIT", "off") != "on":
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()


_postgres_options(DATABASES["default"])

# The public lookups' statements (``sms.portal.store.find``, ``sms.portal.logbook.write_log``) are PREPAREd once
# per database session and EXECUTEd after: parsing and planning the lookup cost PostgreSQL more than running it
# (bench/RESULTS.md). Turn off behind a pooler in transaction mode (PgBouncer ``pool_mode = transaction``), where
# a session's prepared statements do not follow the client from one transaction to the next.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

# A PostgreSQL read replica (streaming replication of the primary) for the reads that opt in —
# public lookups and reports (``sms.dbrouter``); writes always go to ``default``. In tests the
# replica is a mirror of ``default`` (the same test database).
READ_REPLICA_ALIAS = None
if env("DATABASE_REPLICA_URL"):
    READ_REPLICA_ALIAS = "replica"
    DATABASES[READ_REPLICA_ALIAS] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60") or 0),
        conn_health_checks=True,
    )
    DATABASES[READ_REPLICA_ALIAS]["TEST"] = {"MIRROR": "default"}
    _postgres_options(DATABASES[READ_REPLICA_ALIAS])
    DATABASE_ROUTERS = ["sms.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Passwords per OWASP ASVS 4.0 L2, V2.1: at least 8 characters, up to 128 of any kind (no
# composition rules), common and breached passwords refused, no forced periodic rotation.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "sms.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "sms.accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "sms.accounts.passwords.BreachedPasswordValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The absolute session lifetime; idle sessions end sooner (SESSION_IDLE_TIMEOUT seconds
# without a request), checked by sms.accounts.middleware.IdleTimeoutMiddleware.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)) or 28800)
SESSION_IDLE_TIMEOUT = int(env("SESSION_IDLE_TIMEOUT", str(30 * 60)) or 1800)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Days an API token lives unless its creator chooses fewer.
SMS_API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90") or 90)

# Lockout per (username, client IP): a whole school behind one NAT is not locked out by one
# person, and nobody elsewhere can lock a teacher out by knowing their published e-mail. An
# official e-mail counts as its account's username. The client IP comes from sms.net.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5") or 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "sms.net.axes_client_ip"
AXES_USERNAME_CALLABLE = "sms.accounts.lockout.canonical_username"
AXES_LOCKOUT_CALLABLE = "sms.accounts.lockout.lockout_response"
AXES_VERBOSE = False

# --- internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["sms.formats"]
LOCALE_PATHS = [BASE_DIR / "sms" / "locale"]

# --- static and uploaded files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded files are never served from a public URL: views apply the scoping door first.
# They are stored per unit (units/<unit id>/…, see sms.files.storage).
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
SMS_UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)) or 0)
#: an uploaded xlsx is refused before it is opened when it unpacks to more than this (zip bombs)
SMS_XLSX_MAX_UNPACKED_BYTES = int(env("XLSX_MAX_UNPACKED_BYTES", str(50 * 1024 * 1024)) or 0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sms.api.authentication.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sms.api.permissions.HasActor"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "sms.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "sms.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Hệ thống thông tin quản lý giáo dục",
    "DESCRIPTION": (
        "API của hệ thống dùng chung cho Sở/Phòng GD&ĐT và các trường. Mọi dữ liệu trả về "
        "đã được giới hạn theo đơn vị và vai trò của người dùng (actor)."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["sms.api.permissions.HasActor"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "RatingEnum": "teachers.models.Rating",
        "SemesterNumberEnum": "sms.org.models.SEMESTER_CHOICES",
        "SheetStatusEnum": "students.models.SheetStatus",
        "UnlockStatusEnum": "students.models.UnlockStatus",
        "ResultStatusEnum": "students.models.ResultStatus",
        "StudentStatusEnum": "students.models.StudentStatus",
        "ExamKindEnum": "exams.models.ExamKind",
        "PointRuleKindEnum": "exams.models.PointRule.Kind",
        "BoardRoleEnum": "exams.models.BoardRole",
        "DiplomaKindEnum": "exams.models.DiplomaKind",
        "GraduationLevelEnum": "exams.models.GraduationLevel",
        "RoundStatusEnum": "exams.models.RoundStatus",
        "DiplomaStatusEnum": "exams.models.DiplomaStatus",
        "CouncilRoleEnum": "exams.models.CouncilRole",
        "CopyRequesterEnum": "exams.models.diplomas.COPY_REQUESTER_CHOICES",
        "RevocationReasonEnum": "exams.models.diplomas.REVOCATION_REASON_CHOICES",
        "CorrectionGroundEnum": "exams.models.diplomas.CORRECTION_GROUND_CHOICES",
        "GuardianRelationEnum": "students.models.Relation",
        "ImportRowStatusEnum": "sms.imports.STATUS_CHOICES",
    },
}

# --- background jobs -------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A job running longer than this is killed; a job queued longer than SMS_JOB_QUEUE_TIMEOUT
# was lost. Either is marked failed by the periodic sweep.
CELERY_TASK_TIME_LIMIT = int(env("JOB_TIME_LIMIT", "3600") or 3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
SMS_JOB_QUEUE_TIMEOUT = int(env("JOB_QUEUE_TIMEOUT", str(6 * 3600)) or 21600)
# Periodic work for `celery -A sms beat` in a deployment (without Redis: run the commands by cron).
CELERY_BEAT_SCHEDULE = {
    "purge-expired-files": {"task": "files.purge_expired", "schedule": 3600.0},
    "fail-stale-jobs": {"task": "sms.jobs.fail_stale", "schedule": 600.0},
}
# Days a job's output file is kept for download.
SMS_JOB_OUTPUT_DAYS = int(env("JOB_OUTPUT_DAYS", "30") or 30)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- the public portal ------------------------------------------------------------------------
# Origins of the department's portal: the only pages allowed to embed the lookup pages
# (CSP frame-ancestors) and to call the lookup API from a browser (CORS). One setting for both.
PORTAL_ORIGINS = env_list("PORTAL_ORIGINS")
# Lookups per client IP per minute, and misses per identifier per hour (see sms.portal.throttle).
PORTAL_RATE_PER_IP = int(env("PORTAL_RATE_PER_IP", "60") or 60)
PORTAL_MISSES_PER_IDENTIFIER = int(env("PORTAL_MISSES_PER_IDENTIFIER", "10") or 10)
# The public address of this server as the portal's visitors reach it: the QR codes printed on
# record books and diplomas open <PORTAL_PUBLIC_URL>/cong/kiem-tra/?ma=<token>.
PORTAL_PUBLIC_URL = env("PORTAL_PUBLIC_URL", "" if PRODUCTION else "http://127.0.0.1:8000")

# --- security ------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
