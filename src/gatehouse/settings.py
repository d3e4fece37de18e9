"""Django settings, read from the environment (see .env.example).

With no environment at all Gatehouse runs embedded: SQLite, in-memory channel layer and cache,
jobs executed by a worker thread inside the server process. Production sets DATABASE_URL and
REDIS_URL and runs `gatehouse serve` and `gatehouse worker` as separate processes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gatehouse.core.secrets_file import load_or_create

SRC_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SRC_DIR.parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def database_from_url(url: str) -> dict[str, object]:
    """Translate DATABASE_URL (postgres://user:pass@host:port/name or sqlite:///path)."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Under ASGI each request runs in its own thread, so persistent connections are
            # never reused, only leaked until garbage collection (Django advises 0 under ASGI).
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 0),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": env_str("DATABASE_TEST_NAME") or None},
        }
    if parts.scheme == "sqlite":
        return sqlite_database(Path(unquote(parts.path)))
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


def sqlite_database(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL and a busy timeout let the in-process worker write while requests are served.
        "OPTIONS": {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        },
        # Tests use a file too: worker tests need concurrent writers, which SQLite's
        # in-memory test database (one cache shared by all threads) refuses.
        "TEST": {"NAME": str(path.with_name(f"test_{path.name}"))},
    }


DATA_DIR = Path(env_str("GATEHOUSE_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
_SECRETS = load_or_create(DATA_DIR / "secrets.json")
SECRET_KEY = _SECRETS["SECRET_KEY"]
FIELD_ENCRYPTION_KEY = _SECRETS["FIELD_ENCRYPTION_KEY"]
AUDIT_CHAIN_KEY = _SECRETS["AUDIT_CHAIN_KEY"]

DEBUG = env_bool("GATEHOUSE_DEBUG", default=False)
ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# Request header (Django META form, e.g. HTTP_X_FORWARDED_FOR) holding the client address when a
# trusted reverse proxy sits in front; empty: use the peer address.
TRUSTED_PROXY_HEADER = env_str("TRUSTED_PROXY_HEADER")
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS").split(",") if o]

# Embedded mode: one process with the worker inside. Production turns it off.
EMBEDDED = not env_str("DATABASE_URL") or env_bool("GATEHOUSE_EMBEDDED", default=False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tables2",
    "django_tasks",
    "django_tasks_db",
    "gatehouse.core",
    "gatehouse.tenancy",
    "gatehouse.audit",
    "gatehouse.people",
    "gatehouse.devices",
    "gatehouse.drivers.zkpush",
    "gatehouse.console",
]

MIDDLEWARE = [
    "gatehouse.devices.middleware.DeviceEndpointMiddleware",  # /iclock/...: devices only
    "django.middleware.security.SecurityMiddleware",
    "gatehouse.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gatehouse.tenancy.middleware.TenantScopeMiddleware",
    "gatehouse.tenancy.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "gatehouse.urls"
ASGI_APPLICATION = "gatehouse.asgi.application"
AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = ["gatehouse.tenancy.auth.GatehouseBackend"]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gatehouse.console.context_processors.console",
            ],
        },
    },
]

_DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(_DATABASE_URL)
    if _DATABASE_URL
    else sqlite_database(DATA_DIR / "gatehouse.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
_TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _TEST_WORKER.startswith("gw"):
    # Parallel test workers each take a Redis database of their own: the fixtures empty the
    # cache before every test, and emptying a Redis cache empties its whole database (one
    # worker wiped the other's device work counters in the middle of a test).
    _redis = urlsplit(REDIS_URL)
    _database = (int(_redis.path.strip("/") or 0) + 1 + int(_TEST_WORKER[2:])) % 16
    REDIS_URL = _redis._replace(path=f"/{_database}").geturl()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Pub/sub ignores the database number: a prefix per installation keeps two
            # Gatehouses (or test runs) on one Redis server from hearing each other's events.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str(
                    "CHANNEL_PREFIX", "gatehouse." + (urlsplit(REDIS_URL).path.strip("/") or "0")
                ),
            },
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions expire after inactivity (the expiry is renewed on each request).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Login throttling: this many failures for one account from one address locks that pair.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCK_SECONDS = env_int("LOGIN_LOCK_SECONDS", 15 * 60)

# Upload limits (every upload is bounded; apps add their own, stricter ones).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 10 * 1024 * 1024)
# Threads (and database connections) per server process for device requests (/iclock/...).
DEVICE_REQUEST_THREADS = env_int("DEVICE_REQUEST_THREADS", 16)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh-hans", _("Chinese")),
    ("th", _("Thai")),
    ("id", _("Indonesian")),
    ("vi", _("Vietnamese")),
    ("pt", _("Portuguese")),
    ("fr", _("French")),
    ("ro", _("Romanian")),
    ("pl", _("Polish")),
    ("it", _("Italian")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist
NODE_MODULES = Path(env_str("GATEHOUSE_NODE_MODULES", str(PROJECT_DIR / "node_modules")))
# Front-end packages come from npm (package-lock.json); they are served from node_modules.
STATICFILES_DIRS = [
    ("vendor/tabler", NODE_MODULES / "@tabler" / "core" / "dist"),
    ("vendor/tabler-icons", NODE_MODULES / "@tabler" / "icons-webfont" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gatehouse.core.api.authentication.ApiTokenAuthentication",
        "gatehouse.core.api.authentication.ScopedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gatehouse.core.api.permissions.RegistryPermission"],
    "DEFAULT_PAGINATION_CLASS": "gatehouse.core.api.pagination.PagePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gatehouse.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["gatehouse.core.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env_str("API_RATE_LIMIT", "600/min")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gatehouse API",
    "DESCRIPTION": "REST API v1 of Gatehouse. Authenticate with `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, works under our CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "gatehouse.core.models.Job.Status"},
}

# Outgoing mail. No EMAIL_HOST means no mail server: features that would send mail say so
# plainly instead of failing later (gatehouse.core.mail.mail_configured).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "gatehouse@localhost")
# The address people and the mobile app reach this server at (mails, the app's QR code);
# empty: taken from the request that triggered the mail.
PUBLIC_URL = env_str("GATEHOUSE_PUBLIC_URL").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
