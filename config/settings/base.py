"""Settings shared by every environment, driven only by environment variables.

The defaults run the product embedded (a SQLite file and Celery's filesystem transport), so that
`make run` works on a machine with nothing but Python. Setting DATABASE_URL and CELERY_BROKER_URL
switches to PostgreSQL and Redis. `production.py` only hardens these settings.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from config.media import media_image_sources, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # local state of the embedded mode; never committed


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "allauth",
    "allauth.account",
    "notifications",
    "organizations",
    "courses",
    "enrollments",
    "followups",
]

MIDDLEWARE = [
    # First: answers the load balancer's probe before sessions, users or redirects are involved.
    "config.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "organizations.tenancy.CurrentMembershipMiddleware",
    # Reads the form under Django's limits before any view does: over them, a branded 413 page.
    "config.errors.RequestTooLargeMiddleware",
    # Last: renders the branded 404 (with the person's menu) in development as in production.
    "config.errors.BrandedNotFoundMiddleware",
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
                "organizations.context_processors.current_membership",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in the embedded mode: without IMMEDIATE
    # transactions, a busy timeout and WAL they fail with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "enrollments:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "organizations.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_FORMS = {"signup": "organizations.forms.InvitationSignupForm"}
# No prefix: the product's own subjects (templates/account/email/*_subject.txt) name the product and
# the organization in words, as the invitation's does; a "[ServiceCraft]" tag would say it twice.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# Sign-in rate limits are per client address. Behind proxies (a load balancer, a TLS terminator) every
# request comes from the proxy's address, so allauth must be told how many proxies of ours append to
# X-Forwarded-For: the client is the address that many entries from the end. 0 (the default) ignores
# the header, which anyone can forge, and uses the connection's address. A proxy that puts the client
# address in a header of its own (e.g. X-Real-IP) can name it instead.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT") or 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("DJANGO_TRUSTED_CLIENT_IP_HEADER") or None

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# `manage.py seed_demo` creates people whose password is published in the README; production refuses
# it unless the operator passes --i-know-this-is-production.
SEED_DEMO_ALLOWED = True

# --- Internationalization and time --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Media (course covers): object storage when MEDIA_S3_BUCKET is set, else files under MEDIA_ROOT
# served by the web process (DJANGO_SERVE_MEDIA, on by default then). See config/media.py.
STORAGES = {
    "default": media_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", not os.environ.get("MEDIA_S3_BUCKET"))
# Uploads (CSV invitations, question imports) are read in memory and capped well below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ServiceCraft <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without an SMTP host, emails are printed on the console of the process that sends them.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    _processed_dir = VAR_DIR / "celery-processed"
    _control_dir = VAR_DIR / "celery-control"
    # kombu's filesystem transport does not create its folders; every process (web, worker, beat,
    # a shell) may be the first to start, so each makes sure they exist.
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "config.embedded_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        # Exchange bindings (remote control: pings, `celery inspect`) live here too, not in a
        # `control/` folder of whatever directory a process was started from.
        "control_folder": str(_control_dir),
        "store_processed": False,
        # How often the worker looks for new messages: tasks start promptly, and a stopping worker
        # leaves its polling loop quickly (see config/embedded_broker.py).
        "polling_interval": 0.2,
    }
else:
    # Tasks are short; a visibility timeout longer than the hard time limit means a slow task is
    # never handed to a second worker while the first still runs it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Everything scheduled lives in PostgreSQL; beat only ticks: what is due is claimed from the database.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The delivery ledger's tick: planners (reminders, escalations...), sweep, claim, enqueue batches.
    "notifications-tick": {
        "task": "notifications.tasks.notifications_tick",
        # Shorter only in the crash tests, which must not wait minutes for a tick.
        "schedule": float(os.environ.get("NOTIFICATIONS_TICK_SECONDS", "60")),
    },
    "purge-stale-invitations": {
        "task": "organizations.tasks.invitations_purge_stale",
        "schedule": 60 * 60 * 6,
    },
    # Standing assignments (a team, everyone) reach people who joined since: within a minute.
    "reconcile-enrollments": {
        "task": "enrollments.tasks.enrollments_reconcile",
        "schedule": 60,
    },
    # Recertification: completions expiring within 30 days get their next enrollment (idempotent).
    "recertify-enrollments": {
        "task": "enrollments.tasks.enrollments_recertify",
        "schedule": 60 * 60,
    },
}

# --- Notifications (the delivery ledger, notifications/services.py) ------------------------------
# A claimed message is its worker's for this long; then the sweeper returns it to pending. It must
# exceed the task's hard time limit, so a live worker never loses a batch it is still sending.
NOTIFICATIONS_LEASE_SECONDS = int(os.environ.get("NOTIFICATIONS_LEASE_SECONDS", "300"))
NOTIFICATIONS_CLAIM_LIMIT = 50_000  # messages claimed per tick (at 500 emails/s, under two minutes' work)
NOTIFICATIONS_BATCH_SIZE = 250  # messages per broker message: 100,000 due messages make about 400
NOTIFICATIONS_MAX_ATTEMPTS = 8  # transient SMTP failures retried with backoff (30 s doubling, 30 min at most)
# The first retry's delay; shorter only in the delivery-guarantee tests, whose SMTP server answers 4xx.
NOTIFICATIONS_RETRY_SECONDS = int(os.environ.get("NOTIFICATIONS_RETRY_SECONDS", "30"))
# Off: a send's record does not wait for PostgreSQL's disk flush (a worker crash still loses nothing
# recorded; a database crash may forget the last ~0.6 s of records and send those again). See
# notifications.services._records_not_waiting_for_disk and bench/README.md.
NOTIFICATIONS_SYNCHRONOUS_COMMIT = env_bool("NOTIFICATIONS_SYNCHRONOUS_COMMIT", False)

# --- Cache --------------------------------------------------------------------------------------
# allauth's rate limits live in the cache: with several processes it must be shared (Redis).
# The cache shares the broker's Redis server when there is one.
REDIS_CACHE_URL = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions: read from the cache, written through to the database (`cached_db`), so a signed-in
# request loads its session without a query; a session missing from the cache (Redis restarted or
# evicted it) is read from the database and cached again. Only with a shared cache: each process's
# local-memory cache would keep serving a session another process had changed or ended.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_CACHE_URL else "django.contrib.sessions.backends.db"
)

# --- Security headers ---------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *media_image_sources(os.environ)],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Lesson videos are embedded only from these privacy-enhanced players.
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
