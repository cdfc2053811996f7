"""Production settings: `check --deploy` is clean, and they refuse to start when misconfigured.

Each check runs `manage.py` in a subprocess with only the environment a deployment would have,
so nothing of the test settings leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "example.com",
    "SITE_URL": "https://example.com",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SITE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _service_urls() -> dict[str, str]:
    # The real servers the test run uses; `check --deploy` itself does not write to them.
    return {"DATABASE_URL": os.environ["DATABASE_URL"], "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}


def test_check_deploy_reports_no_issues_with_production_values():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64), **_service_urls(),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr


@pytest.mark.parametrize("secret_key", ["", "too-short"], ids=["missing", "short"])
def test_production_refuses_to_start_without_a_long_secret_key(secret_key):
    result = _manage("check", DJANGO_SECRET_KEY=secret_key, **_service_urls())

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _manage("check", DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_DEBUG="true", **_service_urls())

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be false" in result.stderr
