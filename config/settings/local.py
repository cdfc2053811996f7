"""Development and the embedded `make run`: debug on and an insecure key unless the env says otherwise."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")

from config.settings.base import *  # noqa: E402,F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
