"""The <token:...> path converter: a code or token that cannot be one is a 404 before any query."""

from __future__ import annotations

import secrets

import pytest
from django.urls import Resolver404, resolve, reverse

PUBLIC_TOKEN_URLS = ["/certificates/{}/", "/invitations/accept/{}/"]


@pytest.mark.django_db
@pytest.mark.parametrize("template", PUBLIC_TOKEN_URLS)
@pytest.mark.parametrize("value", ["%00", "a%00b", "%2e%2e", "a.b", "a%20b", "x" * 65])
def test_a_value_that_cannot_be_a_token_is_a_404_signed_out(client, template, value):
    # A NUL byte reached PostgreSQL ("A string literal cannot contain NUL") and gave a 500.
    assert client.get(template.format(value)).status_code == 404


@pytest.mark.parametrize("template", PUBLIC_TOKEN_URLS)
def test_every_generated_token_still_resolves(template):
    for token in (secrets.token_urlsafe(12), secrets.token_urlsafe(32), "-_aZ09"):
        resolve(template.format(token))
    with pytest.raises(Resolver404):
        resolve(template.format("a\x00b"))


def test_reverse_takes_the_tokens_the_models_generate():
    from enrollments.models import new_certificate_code
    from organizations.models import new_invitation_token

    assert reverse("enrollments:certificate", kwargs={"code": new_certificate_code()})
    assert reverse("organizations:invitation_accept", kwargs={"token": new_invitation_token()})
