"""One settings module, driven by the environment.

With no variables set this is the embedded default: an SQLite file under ``var/`` and the in-process
channel layer, so ``make run`` needs no services. ``DATABASE_URL`` selects PostgreSQL and ``REDIS_URL``
selects Redis for the channel layer and the cache. ``manage.py check --deploy`` warns when a production
deployment still runs on the embedded pieces (see ``config/checks.py``).
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# The development key only signs development tokens; check --deploy flags it (security.W009).
SECRET_KEY = env.str(
    "SECRET_KEY", default="django-insecure-dev-only-jingjinji-quiz-key-change-me-in-production"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "taggit",
    "reversion",
    "reversion_compare",
    "csp",
    "axes",
    "config",
    "competition",
    "competition.online",
    "competition.report",
    "questionbank",
    "quiz",
    "frontend",
]

# daphne serves the few static files itself (whitenoise) unless a proxy does (docs/deploy.md).
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files answer here, before sessions and the rest (it only looks at STATIC_URL).
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if SERVE_STATIC else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.csp.SocketSourcesMiddleware",  # after CSP's, so it adds to the policy before CSP's writes it
    # Last, as django-axes asks: it turns a lockout raised by the login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# An empty DATABASE_URL counts as unset (CI runs the embedded suite with DATABASE_URL=).
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the answer writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Consumer tests run the ORM in worker threads: an in-memory test database is not shared between them.
    # One file per test run, so runs side by side do not share it (pytest-django removes it afterwards).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif int(env.str("DATABASE_POOL_MAX", default="") or 0):
    # A connection pool per process (Django's, on psycopg_pool): each HTTP request runs in a thread of its
    # own, so without a cap a burst of requests opens as many connections as there are requests in flight,
    # past PostgreSQL's max_connections ("too many clients"). With the pool they wait for a free one.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(env.str("DATABASE_POOL_MAX")),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=30.0),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _layer_host(url: str) -> dict[str, Any]:
    """The layer's Redis host; over TCP its connections are counted for /metrics (quiz_redis_reconnects)."""
    if not url.startswith(("redis://", "rediss://")):
        return {"address": url}
    from quiz.metrics import redis_connection_class

    return {"address": url, "connection_class": redis_connection_class(url)}


if REDIS_URL:
    # The pub-sub layer: one PUBLISH per broadcast and no blocking pop per consumer. The core layer
    # dropped sockets under load: a stalled event loop made its blocking pop time out inside a consumer,
    # which closed that phone's socket (docs/architecture.md, "Settings and stacks").
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [_layer_host(REDIS_URL)],
                "prefix": env.str("CHANNEL_PREFIX", default="jjjquiz"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CHANNEL_PREFIX", default="jjjquiz"),
        }
    }
    # Sessions are read from Redis and written through to the database: a signed-in request (an online
    # answer) costs one Redis GET instead of a database query, and a Redis restart loses no session.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # One process only; fine for the embedded default and tests. The hub keeps one layer channel per
    # round per process, so the layer's O(channels) receive never sees one channel per contestant.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "host-rounds"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes) on both logins, the host console's and the admin's: after
# AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is refused for
# AXES_COOLOFF_TIME. Another address, or the same address with another username, is not affected, so a
# guesser cannot lock a host out of the venue's network. daphne runs with --proxy-headers behind nginx,
# so the address is the phone's, not the proxy's; nginx must set X-Forwarded-For to $remote_addr rather than
# append to the client's own header, or a guesser could name a new address for each try (docs/deploy.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: it refuses a locked-out pair before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a host who gets it right starts again from zero
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_page"  # 429 with a page in the visitor's language
AXES_DISABLE_ACCESS_LOG = True  # failures are recorded; successful logins need no table of their own
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale", BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
TAGGIT_CASE_INSENSITIVE = True
# The revision diff compares foreign keys by id; otherwise any change elsewhere in a revision lists every one.
REVERSION_COMPARE_FOREIGN_OBJECTS_AS_ID = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# ``collectstatic`` writes each file under a name with its content hash, plus gzip and brotli copies;
# pages link the hashed names, so whitenoise (or nginx) can let browsers keep them for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.HashedStaticFiles"},
    # Question-import uploads between preview and commit: private (never under MEDIA_ROOT, which /media/
    # serves), and on a disk or bucket that every server process shares when there are several.
    "question_imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("QUESTION_IMPORTS_ROOT", default=VAR_DIR / "question-imports")},
    },
}

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Scripts only from our own files: no inline <script>, no on*= attributes, no eval. Django 5.2's admin
# has no inline scripts either, so one policy covers every page. Styles allow inline: a few pages carry a
# <style> block or a style attribute, and styles cannot run code. connect-src: 'self', plus the page's own
# host as ws:/wss: (config/csp.py) for browsers whose 'self' does not cover sockets. img-src data: is for the
# empty favicon; QR codes are inline SVG. frame-ancestors 'self': the bank's preview frames its own pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Production hardening (all on when DEBUG is off) ----------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and Prometheus ask the daphne processes directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
    if not SECURE_SSL_REDIRECT:
        # Turned off on purpose: the proxy in front already redirects to HTTPS (docs/deploy.md), so the
        # deploy check's advice to turn it on (security.W008) does not apply.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Live rounds ----------------------------------------------------------------------------------
QUIZ = {
    # Answers wait this long to be written together in one statement (group commit: an ack
    # means the answer is durable, without a transaction per answer; docs/architecture.md).
    "ANSWER_BATCH_SECONDS": env.float("QUIZ_ANSWER_BATCH_SECONDS", default=0.005),
    "ANSWER_BATCH_MAX": env.int("QUIZ_ANSWER_BATCH_MAX", default=500),
    # Joins and resumes are served together the same way: one insert and one read of the round per batch.
    "JOIN_BATCH_SECONDS": env.float("QUIZ_JOIN_BATCH_SECONDS", default=0.005),
    "JOIN_BATCH_MAX": env.int("QUIZ_JOIN_BATCH_MAX", default=500),
    # Inbound frames longer than this are refused with code "frame_too_large" (docs/protocol.md).
    "MAX_FRAME_BYTES": env.int("QUIZ_MAX_FRAME_BYTES", default=4096),
    # Display and host receive the answered count at most this often per process.
    "COUNT_THROTTLE_SECONDS": env.float("QUIZ_COUNT_THROTTLE_SECONDS", default=0.3),
    "LEADERBOARD_SIZE": env.int("QUIZ_LEADERBOARD_SIZE", default=10),
    # Flood control per socket (docs/protocol.md, section 9): a burst, then a steady rate; frames over it
    # get "rate_limited"; a socket that keeps flooding is closed with 4008.
    "FRAME_RATE": env.float("QUIZ_FRAME_RATE", default=20.0),
    "FRAME_BURST": env.float("QUIZ_FRAME_BURST", default=40.0),
    "FLOOD_CLOSE_AFTER": env.float("QUIZ_FLOOD_CLOSE_AFTER", default=100.0),
    # A socket whose unsent output passes this many bytes (it stopped reading) is dropped; it resumes.
    "SEND_BUFFER_BYTES": env.int("QUIZ_SEND_BUFFER_BYTES", default=256 * 1024),
    # The same cap counted in frames, where the server's write buffer cannot be read.
    "SEND_BUFFER_FRAMES": env.int("QUIZ_SEND_BUFFER_FRAMES", default=500),
    # A round event Redis could not take (restarting) is sent again until it answers, for at most this long.
    "PUBLISH_RETRY_SECONDS": env.float("QUIZ_PUBLISH_RETRY_SECONDS", default=30.0),
    # The garbage collector's first threshold in server processes (config/asgi.py); 0 keeps Python's 700.
    "GC_THRESHOLD": env.int("QUIZ_GC_THRESHOLD", default=50_000),
}

# --- Operations: /health/ and /metrics (docs/operations.md) -------------------------------------------
# /metrics answers a request that carries "Authorization: Bearer <METRICS_TOKEN>", or that comes from
# an address in METRICS_ALLOWED_NETWORKS (CIDR list; the daphne process's peer, so scrape the processes'
# own ports, not through nginx). With neither set, /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# A check of PostgreSQL or Redis that takes longer than this counts as a failure (503).
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=2.0)
# --- Online stage ---------------------------------------------------------------------------------
ONLINE = {
    # Where one-time sign-in codes go: a dotted path to a class with send(mobile, text)
    # (competition/online/sms.py; docs/online-stage.md says how a provider plugs in).
    "SMS_BACKEND": env.str("ONLINE_SMS_BACKEND", default="competition.online.sms.ConsoleBackend"),
    "SMS_FILE_DIR": Path(env.str("ONLINE_SMS_FILE_DIR", default=str(VAR_DIR / "sms"))),
    # A long-lived random cookie per browser: many accounts signing in from one is a fair-play sign.
    "DEVICE_COOKIE": "jjj_device",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lockouts are warnings; every login and reset is not news
    },
}
