"""The test suite runs on PostgreSQL and Redis, as production does; never on SQLite."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/servicecraft")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from config.settings.base import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise RuntimeError("The test suite runs on PostgreSQL only: set DATABASE_URL to a postgres:// URL.")

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests only
# Emails stay in memory, except in the worker processes the delivery-guarantee tests start with
# EMAIL_HOST pointing at the SMTP server they run (tests/notifications/test_delivery_guarantees.py):
# base.py then picks the SMTP backend. pytest's own process always uses locmem (setup_test_environment).
if not os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# No collectstatic before tests: let WhiteNoise look files up on request instead of warning that
# STATIC_ROOT does not exist.
WHITENOISE_AUTOREFRESH = True
