"""Branded error pages: an unknown address, an unknown certificate code and another organization's
object get the product's 404 page with DEBUG on and off; a server error gets the branded 500 page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.conftest import client_for

BRANDED_404 = ('<h1 id="error-heading">Page not found</h1>', 'class="site-header"', "pico-2.1.1.min.css")


def _assert_branded_404(response) -> str:
    html = response.content.decode()
    assert response.status_code == 404
    for marker in BRANDED_404:
        assert marker in html
    assert "Using the URLconf" not in html and "technical_404" not in html and "Django tried" not in html
    return html


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_address_gets_the_branded_404_signed_out(debug, settings, db):
    settings.DEBUG = debug

    html = _assert_branded_404(Client().get("/no/such/page/"))

    assert reverse("account_login") in html


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_certificate_code_gets_the_branded_404(debug, settings, db):
    settings.DEBUG = debug

    html = _assert_branded_404(Client().get(reverse("enrollments:certificate", kwargs={"code": "no-such-code"})))

    assert "No certificate has this code." in html


@pytest.mark.parametrize("debug", [False, True])
def test_a_member_gets_the_branded_404_with_their_menu(debug, settings, carol, globex):
    settings.DEBUG = debug
    foreign = factories.CourseFactory(organization=globex, status="published")
    client = client_for(carol)

    for url in ("/no/such/page/", reverse("enrollments:course", kwargs={"course_id": foreign.pk})):
        html = _assert_branded_404(client.get(url))
        assert 'id="nav-links"' in html and "Acme Hotels" in html  # the person's own layout and menu
        assert reverse("enrollments:my_learning") in html
        assert foreign.title not in html


def test_a_missing_slash_still_redirects(settings, db):
    response = Client().get(reverse("enrollments:certificate", kwargs={"code": "abc"}).rstrip("/"))

    assert response.status_code == 301 and response["Location"].endswith("/certificates/abc/")


def test_a_server_error_gets_the_branded_500_page(settings, carol, acme, monkeypatch):
    settings.DEBUG = False
    progress = factories.CourseProgressFactory(membership=carol, course=factories.published_course(acme))
    certificate = factories.CertificateFactory(progress=progress)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("enrollments.selectors.certificate_by_code", broken)
    client = Client(raise_request_exception=False)

    response = client.get(reverse("enrollments:certificate", kwargs={"code": certificate.code}))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and 'class="site-header"' in html and "app.css" in html
    assert "boom" not in html and "Traceback" not in html
