"""Serving the product for the HTTP benchmarks and the load test: gunicorn with the production
settings, real sessions for the people who load it, and the headers a TLS-terminating proxy adds.

Shared by bench/http_pages.py, bench/load_test.py and the load test's smoke version in the suite
(tests/test_load_smoke.py). Nothing in the production settings is relaxed: requests carry
`X-Forwarded-Proto: https` (the header SECURE_PROXY_SSL_HEADER names), POSTs an `Origin` of the same
host and the CSRF cookie with its token in `X-CSRFToken`.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CSRF_TOKEN = "benchcsrftoken0123456789abcdefgh"  # a CSRF secret: 32 letters and digits, as Django makes them
assert len(CSRF_TOKEN) == 32
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy tells Django


def product_env(*, database_url: str, broker_url: str, secret_key: str) -> dict[str, str]:
    """The environment of the product's gunicorn: production settings, DEBUG off, Redis for sessions."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_DEBUG": "false",
    }


def collectstatic(env: dict[str, str]) -> None:
    """The production settings serve hashed static files from a manifest (whitenoise): collect them."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env={**os.environ, **env}, check=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_cookie(user) -> str:
    """A real signed-in session for `user` (a django_session row, signed with SECRET_KEY); its cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={CSRF_TOKEN}"


def bulk_sessions(users) -> list[str]:
    """`session_cookie` for many people at once (one INSERT)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, cookies = [], []
    for user in users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}; csrftoken={CSRF_TOKEN}")
    Session.objects.bulk_create(rows, batch_size=2000)
    return cookies


@contextmanager
def gunicorn(app: str, *, cwd: Path, env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    """Serve `app` with gunicorn (sync workers) on a free port until the block ends; yields its base URL."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [GUNICORN, app, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_answers(url: str, headers: dict[str, str], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout:.0f} s; see {log}:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)




def forget_cached_sessions(cookies: list[str], redis_url: str) -> None:
    """Remove from Redis the sessions the product's workers cached (`cached_db`) for these cookies."""
    import redis
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    keys = []
    for cookie in cookies:
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == settings.SESSION_COOKIE_NAME:
                keys.append(f":1:{KEY_PREFIX}{value}")  # Django's cache key: prefix "", version 1
    if keys:
        client = redis.Redis.from_url(redis_url)
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()
