"""Sign-in cannot be guessed at full speed: no Django admin site, and rate limits keyed on the real client.

Behind the load balancer every request arrives from the balancer's address; with
DJANGO_TRUSTED_PROXY_COUNT set, allauth keys its limits on the client address the balancer appended
to X-Forwarded-For, so one client's failed sign-ins lock out that client and nobody else.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

LOCKED_OUT = "Too many failed login attempts"
WRONG = "The email address and/or password you specified are not correct."


@pytest.mark.parametrize("path", ["/django-admin/", "/django-admin/login/", "/admin/"])
def test_there_is_no_django_admin_site(client, db, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"username": "alice@acme.test", "password": "guess"}).status_code == 404


def _failed_sign_in(client: Client, email: str) -> str:
    response = client.post(reverse("account_login"), {"login": email, "password": "a wrong guess"})
    assert response.status_code == 200  # the form again, with an error
    return response.content.decode()


def _sign_in_from(forwarded_for: str) -> Client:
    # The load balancer appends the address it saw; REMOTE_ADDR is the balancer itself.
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)


@pytest.mark.parametrize(("proxy_count", "other_client_locked_out"), [(1, False), (0, True)])
def test_login_rate_limit_is_keyed_on_the_forwarded_client_address(alice, proxy_count, other_client_locked_out):
    cache.clear()  # the rate-limit counters live in the cache
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=proxy_count):
        # given: a client guesses passwords until the per-address limit (10 a minute) stops it.
        # Different emails each time, so the per-account limit plays no part.
        attacker = _sign_in_from("203.0.113.7")
        pages = [_failed_sign_in(attacker, f"victim{n}@example.com") for n in range(11)]
        assert WRONG in pages[0]
        assert LOCKED_OUT in pages[-1]

        # when: another client behind the same balancer signs in
        other = _sign_in_from("198.51.100.9")
        page = _failed_sign_in(other, "someone@example.com")

    # then: with the proxy counted, only the guesser is locked out. Without it (the setting's
    # default, right only without proxies) everyone behind the balancer shares one address.
    assert (LOCKED_OUT in page) is other_client_locked_out
    if not other_client_locked_out:
        assert WRONG in page


def test_the_proxy_settings_come_from_the_environment():
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_TRUSTED")}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )

    def settings_with(**env: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env},
            capture_output=True, text=True, timeout=60, check=True,
        )
        return completed.stdout.strip()

    assert settings_with() == "0 None"
    assert settings_with(DJANGO_TRUSTED_PROXY_COUNT="2", DJANGO_TRUSTED_CLIENT_IP_HEADER="X-Real-IP") == "2 X-Real-IP"
