"""`/healthz` against the real PostgreSQL and Redis, and broken on purpose; plus the Content-Security-Policy.

Failures are real ones: the probe talks to a PostgreSQL port and a Redis port where nothing listens.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from config import health
from config.celery_app import app as celery_app
from tests.conftest import client_for

# Whatever engine the settings name.
SessionStore = import_string(f"{settings.SESSION_ENGINE}.SessionStore")

CLOSED_PORT = 1  # nothing listens on 127.0.0.1:1
UNREACHABLE_BROKER_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"


@pytest.fixture
def unreachable_database(monkeypatch):
    """Point the probe at a real connection to the test database's host on a port where nothing listens."""
    default = connections["default"]
    broken = default.__class__({**default.settings_dict, "HOST": "127.0.0.1", "PORT": str(CLOSED_PORT)}, alias="broken")
    monkeypatch.setattr(health, "connection", broken)
    yield broken
    broken.close()


@pytest.fixture
def unreachable_broker(settings):
    """Point the probe at a closed Redis port: its per-process client for that URL fails to connect."""
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER_URL


@pytest.fixture
def unreachable_embedded_broker(monkeypatch, settings):
    """The embedded mode's path (kombu, not a Redis client), made to fail on a closed Redis port."""
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    monkeypatch.setattr(
        celery_app, "connection_for_write", functools.partial(celery_app.connection_for_write, UNREACHABLE_BROKER_URL)
    )


def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_naming_the_database_when_it_does_not_answer(client, db, unreachable_database):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "broker": "ok"}


def test_healthz_is_503_naming_the_broker_when_it_does_not_answer(client, db, unreachable_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unreachable"}


def test_healthz_names_both_when_neither_answers(client, db, unreachable_database, unreachable_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "broker": "unreachable"}


def test_healthz_answers_quickly_when_the_broker_is_down(client, db, unreachable_broker):
    started = time.monotonic()
    client.get("/healthz")

    assert time.monotonic() - started < health.BROKER_CONNECT_TIMEOUT + 1


def test_healthz_checks_the_embedded_broker_through_kombu(client, db, unreachable_embedded_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unreachable"}


def test_healthz_reuses_one_broker_connection(client, db, monkeypatch):
    # given: every socket opened to Redis in this process is counted
    opened = []
    connect = redis.connection.Connection._connect
    monkeypatch.setattr(redis.connection.Connection, "_connect", lambda self: (opened.append(self), connect(self))[1])
    client.get("/healthz")  # the process's client may connect once

    # when
    responses = [client.get("/healthz") for _ in range(20)]

    # then
    assert {response.status_code for response in responses} == {200}
    assert len(opened) <= 1


def test_healthz_touches_no_session_user_or_membership(carol, django_assert_num_queries, monkeypatch):
    # given: a signed-in person's cookie, and a session store that fails if anything reads it
    signed_in = client_for(carol)

    def refuse(self, *args, **kwargs):
        raise AssertionError("the probe loaded the session")

    monkeypatch.setattr(SessionStore, "load", refuse)

    # when: only the database check's SELECT 1 runs
    with django_assert_num_queries(1):
        response = signed_in.get("/healthz")

    # then
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies


def test_healthz_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []

    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


# --- Content-Security-Policy ------------------------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz"])
def test_responses_carry_a_strict_content_security_policy(client, db, path):
    response = client.get(path)

    header = response["Content-Security-Policy"]
    directives = _directives(header)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header


TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
TAG = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
SCRIPT_SRC = re.compile(r"\ssrc\s*=", re.I)
DATA_BLOCK_TYPE = re.compile(r"\stype\s*=\s*[\"']application/(ld\+)?json[\"']", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
EVENT_HANDLER_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)


def _inline_code_in(text: str) -> list[str]:
    problems = []
    for match in TAG.finditer(text):
        name, attrs = match["name"].lower(), match["attrs"]
        line = text.count("\n", 0, match.start()) + 1
        if name == "script" and not SCRIPT_SRC.search(attrs) and not DATA_BLOCK_TYPE.search(attrs):
            problems.append(f"line {line}: inline <script> (CSP blocks it; move it to static/js/)")
        if STYLE_ATTR.search(attrs):
            problems.append(f"line {line}: style=\"\" attribute on <{name}> (CSP blocks it; use a class)")
        if EVENT_HANDLER_ATTR.search(attrs):
            problems.append(f"line {line}: inline event handler on <{name}> (CSP blocks it)")
    if re.search(r"<style[\s>]", text, re.I):
        problems.append("a <style> element (CSP blocks it; use static/css/)")
    return problems


def test_the_scanner_finds_what_csp_would_block():
    assert _inline_code_in('<script>alert(1)</script>')
    assert _inline_code_in('<div style="color: red">')
    assert _inline_code_in('<button onclick="go()">')
    assert _inline_code_in("<style>p {}</style>")
    assert not _inline_code_in('<script src="{% static \'js/app.js\' %}" defer></script>')
    assert not _inline_code_in('<script id="data" type="application/json">{}</script>')
    assert not _inline_code_in('<a href="/x" class="style-link" data-onboarding="1">Style guide</a>')


def test_no_template_has_inline_scripts_or_styles():
    templates = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert templates, f"no templates found under {TEMPLATES_DIR}"

    problems = [
        f"{path.relative_to(TEMPLATES_DIR)} {problem}"
        for path in templates
        for problem in _inline_code_in(path.read_text())
    ]

    assert problems == []
