"""Settings for the SSR Commitment Tracker.

One module, configured only by environment variables (see `.env.example`,
which lists every variable with its default). Defaults are for a developer's
machine: SQLite and local media files. `DEBUG` is off unless asked for, and a
`SECRET_KEY` is then mandatory.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Absolute URLs in feeds, the API and citations use this when set.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The release being served (e.g. a git tag or commit): part of the cached
# dashboard's key, so a deploy never serves figures rendered by the old code.
# Empty: a digest of the dashboard's code, templates and catalogues stands in.
RELEASE = env_str("RELEASE", "")
# Anonymous public pages and API reads are cached this many seconds, under
# the record version (tracker/pagecache.py): a change of the record is seen
# at once; this only bounds how long orphaned entries use memory. 0: off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "import_export",
    "django_q",
    "csp",
    "tracker",
    "tracker.editorial",
    "tracker.partners",
    "tracker.insights",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id.
    "tracker.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CSP on every response, including WhiteNoise's static files.
    "csp.middleware.CSPMiddleware",
    "tracker.middleware.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tracker.editorial.middleware.SessionTimeoutMiddleware",
    "tracker.editorial.middleware.PermissionDeniedLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it sees the exceptions of every view: a lost database gives a 503.
    "tracker.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # After Django's csrf processor: see tracker/pagecache.py.
                "tracker.pagecache.csrf_placeholder",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite by default; DATABASE_URL selects PostgreSQL. On PostgreSQL, persistent
# connections are health-checked before reuse, so a database restart does not
# turn the next request into a 500 (Django reconnects instead).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: no persistent connections; WAL and a busy timeout let the
    # development server, the task worker and tests share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # PostgreSQL's JIT compiler spent 300-400 ms compiling the list pages'
    # per-row subqueries, more than running them (docs/performance.md); these
    # short queries never repay it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Cache ---------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Django's built-in Redis backend (redis-py): shared by every app server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ssr"),
        }
    }
    # Sessions read from Redis and written through to the database, so every
    # app server sees them and a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ssr-tracker",
        }
    }
# The page cache (tracker/pagecache.py) in a Redis of its own, so that a
# flood of distinct pages evicts only pages (docs/deploy.md). Unset: the
# default cache holds the pages too.
PAGE_CACHE_REDIS_URL = env_str("PAGE_CACHE_REDIS_URL", "")
if PAGE_CACHE_REDIS_URL:
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": PAGE_CACHE_REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ssr"),
    }

# --- Auth ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it counts failed logins before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (django-axes): keyed on username AND address, so nobody can lock an
# editor out from another address by typing their name wrongly.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "editorial/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "tracker.editorial.security.client_ip"
# Sessions: an idle session ends after SESSION_IDLE_MINUTES, any session after
# SESSION_ABSOLUTE_HOURS (tracker.editorial.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Readers' follow form (tracker.editorial.services): a follow's confirmation
# is resent at most once every FOLLOW_RESEND_AFTER_SECONDS; one e-mail address
# gets at most FOLLOW_CONFIRMATIONS_PER_ADDRESS confirmations and one client
# address makes at most FOLLOW_REQUESTS_PER_IP follow requests per
# FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS (counted in the cache).
FOLLOW_RESEND_AFTER_SECONDS = env_int("FOLLOW_RESEND_AFTER_SECONDS", 10 * 60)
FOLLOW_CONFIRMATIONS_PER_ADDRESS = env_int("FOLLOW_CONFIRMATIONS_PER_ADDRESS", 5)
FOLLOW_REQUESTS_PER_IP = env_int("FOLLOW_REQUESTS_PER_IP", 10)
FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS = env_int("FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS", 3600)
# Two-factor authentication (django-otp) is required for every staff account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "SSR Tracker")
# History rows are never rewritten from the admin (no "revert").
SIMPLE_HISTORY_REVERT_DISABLED = True
# Imports (django-import-export): all rows or none.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
TIME_ZONE = "Africa/Bamako"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files go to S3-compatible object storage when a bucket is configured
# (needed with several app servers); otherwise to MEDIA_ROOT on local disk.
# Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by boto3.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN", "") or None,
            "location": env_str("AWS_LOCATION", "media"),
            # Evidence files are private by default: signed, expiring URLs.
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 600),
            "signature_version": env_str("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded evidence files: at most this many bytes each.
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# Uploaded images: at most this many pixels (a small file can decode to gigabytes).
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_PIXELS", 50_000_000)
# Files in one request: more is refused with a 400 before any is read.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 5)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Security ----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the health check over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Content Security Policy (django-csp): no inline script, no remote asset,
# never framed. Templates needing an inline script use {{ request.csp_nonce }}.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only; a body nested past Python's recursion limit is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.SafeJSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "EXCEPTION_HANDLER": "tracker.api.errors.api_exception_handler",
    "URL_FORMAT_OVERRIDE": None,
    # Anonymous reads are limited more than keyed ones; counted in the default
    # cache (Redis when REDIS_URL is set, so shared by every worker).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_RATE_ANONYMOUS", "60/minute"),
        "keyed": env_str("API_RATE_KEYED", "600/minute"),
    },
    # Behind a proxy, the client address is the last X-Forwarded-For entry it adds.
    # Not behind a proxy: 0, so a client-sent X-Forwarded-For is ignored (None
    # would trust it, and a forged header would escape the rate limits).
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 1) if env_bool("DJANGO_BEHIND_PROXY", False) else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SSR Commitment Tracker API",
    "DESCRIPTION": "Partner API of the SSR Commitment Tracker. Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tracker.methodology.Status",
        "DatePrecisionEnum": "tracker.models.base.DatePrecision",
        "EvidenceKindEnum": "tracker.models.Evidence.Kind",
        "InstitutionKindEnum": "tracker.models.Institution.Kind",
        "FrameworkKindEnum": "tracker.models.Framework.Kind",
        "RegionKindEnum": "tracker.models.Region.Kind",
    },
}
# Partner webhooks (tracker.partners.webhooks). Private/loopback receivers and
# plain HTTP are refused unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (tests, local use).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 60)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)

# --- Task queue (django-q2) ------------------------------------------------------
# The database is the broker by default (no extra service); Redis when
# REDIS_URL is set. TASKS_EAGER runs tasks at once, in-process (tests).
TASKS_EAGER = env_bool("TASKS_EAGER", False)
Q_CLUSTER = {
    "name": "tracker",
    "workers": env_int("TASK_WORKERS", 1),
    "timeout": 60,
    "retry": 120,
    "max_attempts": 5,
    "catch_up": False,
    "sync": TASKS_EAGER,
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
}

# --- E-mail ------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tracker@localhost")

# --- Logging ----------------------------------------------------------------
# LOG_FORMAT=json (default when DEBUG is off): one JSON object per line with
# the request id (tracker/logging.py); LOG_FORMAT=text for people.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "tracker.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# Test-only views showing shared state between app servers (tracker/health.py).
OPS_PROBE_VIEWS = env_bool("OPS_PROBE_VIEWS", False)
