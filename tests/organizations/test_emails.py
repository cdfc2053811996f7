"""The emails a person receives: the invitation's expiry in the invitee's time zone, and allauth's
account emails in the product's own words, naming the organization, with links on SITE_URL.

Every request here comes in on the test client's host ("testserver"), never on SITE_URL: a link
built from the request instead of SITE_URL shows up as "testserver" and fails the test.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from pathlib import Path

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from notifications.services import messages_enqueue
from organizations import services
from organizations.emails import invitation_draft
from organizations.models import Invitation, Role
from tests import factories
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD
from tests.mailbox import deliver
from tests.organizations.invitation_fixtures import (  # noqa: F401  (fixtures)
    dave_invitation,
    front_desk,
)

SITE_URL = "https://servicecraft.example"
PASSWORD = "a long and unusual passphrase 42"

pytestmark = pytest.mark.usefixtures("site_url", "fresh_rate_limits")


@pytest.fixture
def fresh_rate_limits():
    """allauth's rate limits live in the cache, which outlives a test: an earlier test that emailed the
    same address (dave@example.com) within minutes would make allauth skip the email here."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site_url():
    with override_settings(SITE_URL=SITE_URL):
        yield SITE_URL


def parts(message) -> tuple[str, str, str]:
    """Subject, text and HTML of a multipart email (failing if the HTML part is missing)."""
    assert len(message.alternatives) == 1, "the email has an HTML part"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return message.subject, message.body, html


def assert_links_on_site_url(text: str, html: str) -> None:
    assert "testserver" not in text and "testserver" not in html
    for link in re.findall(r"https?://[^\s\"<>]+", text) + re.findall(r'href="([^"]+)"', html):
        assert link.startswith(SITE_URL), link


# --- the invitation's expiry --------------------------------------------------------------------


EXPIRY = re.compile(r"expires on (\w+ \d+ \w+ \d{4}, \d\d:\d\d) \(([\w/+-]+)\)")


def expiry_in(body: str) -> datetime:
    """The moment the email says the link expires, read back with the zone it names."""
    match = EXPIRY.search(body)
    assert match, body
    shown, zone = match.groups()
    return datetime.strptime(shown, "%A %d %B %Y, %H:%M").replace(tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize("active_zone", ["UTC", "Asia/Tokyo"], ids=["worker", "inviter-in-tokyo"])
def test_the_invitation_gives_its_expiry_in_the_invitees_time_zone(dave_invitation, active_zone):
    # given: dave is invited from New York; the link expires at 03:30 UTC, still the evening before there
    dave_invitation.expires_at = datetime(2026, 12, 5, 3, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    dave_invitation.save(update_fields=["expires_at"])

    # when: the email is rendered where another time zone is active (a worker's UTC, or the
    # inviter's own zone when it is sent during their request)
    with timezone.override(zoneinfo.ZoneInfo(active_zone)):
        messages_enqueue(drafts=[invitation_draft(dave_invitation)])
    deliver()

    # then: both parts give the New York time and name New York, the same moment as expires_at
    _, text, html = parts(mail.outbox[0])
    assert "<wbr>" in html  # the accept link's text breaks on a phone
    for body in (text, html):
        assert "expires on Friday 4 December 2026, 22:30 (America/New_York)" in body
        assert expiry_in(body) == dave_invitation.expires_at


def test_the_invitation_email_and_the_invitation_list_show_the_same_moment(acme, alice, front_desk):
    # given: alice (the inviter) works in Tokyo; erin, invited, in Los Angeles
    alice.user.time_zone = "Asia/Tokyo"
    alice.user.save(update_fields=["time_zone"])
    invitation = services.invitation_create(
        actor=alice, email="erin@example.com", name="Erin",
        role=Role.EMPLOYEE, team=front_desk, time_zone="America/Los_Angeles",
    )  # fmt: skip
    deliver()

    # when
    page = client_for(alice).get(reverse("organizations:invitation_list")).content.decode()

    # then: the email's moment, seen from Tokyo, is the date the list shows to alice
    seen_in_tokyo = expiry_in(mail.outbox[0].body).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert seen_in_tokyo == invitation.expires_at.replace(second=0, microsecond=0)
    assert f"valid until {seen_in_tokyo.day} {seen_in_tokyo:%b %Y}" in page


# --- allauth's emails ---------------------------------------------------------------------------


def test_the_signup_confirmation_names_the_organization_and_links_to_site_url(dave_invitation):
    client = Client()
    client.get(reverse("organizations:invitation_accept", kwargs={"token": dave_invitation.token}))

    client.post(
        reverse("account_signup"),
        {"name": "Dave N.", "email": "dave@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    subject, text, html = parts(message)
    assert message.to == ["dave@example.com"]
    assert subject == "Confirm your email address to finish joining Acme Hotels on ServiceCraft"
    assert text.startswith("Hello Dave N.,")
    assert "Your ServiceCraft account for Acme Hotels is ready." in text
    link = re.search(rf"{re.escape(SITE_URL)}/accounts/confirm-email/[^/\s]+/", text).group(0)
    assert f"The link works for {allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS} days." in text
    assert text.rstrip().endswith(f"ServiceCraft for Acme Hotels\n{SITE_URL}")
    assert f'href="{link}"' in html
    assert "<wbr>" in html  # the link's text breaks on a phone (tests/organizations/test_email_links.py)
    assert "<b>Acme Hotels</b>" in html and "Hello Dave N.," in html
    assert f'href="{SITE_URL}"' in html
    assert_links_on_site_url(text, html)
    # the link is the one that confirms the address
    assert client.post(link.removeprefix(SITE_URL)).status_code == 302
    assert EmailAddress.objects.get(email="dave@example.com").verified


def test_signing_in_with_an_unconfirmed_address_sends_a_confirmation_naming_the_organization(carol):
    EmailAddress.objects.create(user=carol.user, email=carol.user.email, verified=False, primary=True)

    Client().post(reverse("account_login"), {"login": carol.user.email, "password": TEST_PASSWORD})

    deliver()
    assert len(mail.outbox) == 1
    subject, text, html = parts(mail.outbox[0])
    assert subject == "Confirm your email address for ServiceCraft (Acme Hotels)"
    assert "Confirm that carol@acme.test is yours to use it with your ServiceCraft account at Acme Hotels:" in text
    assert re.search(rf"{re.escape(SITE_URL)}/accounts/confirm-email/[^/\s]+/", text)
    assert "Hello Carol Employee," in html
    assert_links_on_site_url(text, html)


def test_the_password_reset_email_names_the_organization_and_its_link_works(carol):
    EmailAddress.objects.create(user=carol.user, email=carol.user.email, verified=True, primary=True)
    client = Client()

    client.post(reverse("account_reset_password"), {"email": "carol@acme.test"})

    deliver()
    assert len(mail.outbox) == 1
    subject, text, html = parts(mail.outbox[0])
    assert subject == "Reset your ServiceCraft password (Acme Hotels)"
    assert "your ServiceCraft account at Acme Hotels" in text
    assert "your ServiceCraft account at <b>Acme Hotels</b>" in html
    link = re.search(rf"{re.escape(SITE_URL)}/accounts/password/reset/key/\S+/", text).group(0)
    assert f'href="{link}"' in html
    assert_links_on_site_url(text, html)
    response = client.get(link.removeprefix(SITE_URL), follow=True)
    assert 'name="password1"' in response.content.decode()


def test_the_email_names_the_organization_the_person_acts_in(acme, globex, carol):
    # given: carol also belongs to Globex and switched to it
    factories.member(globex, Role.EMPLOYEE, user=carol.user)
    EmailAddress.objects.create(user=carol.user, email=carol.user.email, verified=True, primary=True)
    client = client_for(carol)
    client.post(reverse("organizations:switch"), {"organization": globex.pk})

    # when: she asks for a new address to be confirmed while acting in Globex
    client.post(reverse("account_email"), {"action_add": "", "email": "carol@globex.test"})

    # then
    deliver()
    subject, text, _ = parts(mail.outbox[-1])
    assert mail.outbox[-1].to == ["carol@globex.test"]
    assert subject == "Confirm your email address for ServiceCraft (Globex Stores)"
    assert "Acme Hotels" not in text


def test_a_reset_for_an_unknown_address_says_so_without_a_signup_link(db):
    Client().post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    deliver()
    assert len(mail.outbox) == 1
    subject, text, html = parts(mail.outbox[0])
    assert subject == "No ServiceCraft account uses this address"
    assert text.startswith("Hello,\n")
    assert "ask your organization's admin or manager to invite nobody@example.com" in text
    assert f"{SITE_URL}/accounts/password/reset/" in text
    assert "/accounts/signup/" not in text + html  # sign-up is by invitation only
    assert_links_on_site_url(text, html)


def test_signing_up_with_an_address_that_has_an_account_says_so(acme, charlie):
    # given: charlie (of Globex) is invited to Acme, and posts the sign-up form instead of signing in
    invitation = factories.InvitationFactory(organization=acme, email=charlie.user.email)
    client = Client()
    client.get(reverse("organizations:invitation_accept", kwargs={"token": invitation.token}))

    client.post(
        reverse("account_signup"),
        {"name": "Charlie", "email": charlie.user.email, "password1": PASSWORD, "password2": PASSWORD},
    )

    # then: no second account; an email that points to sign-in and password reset on SITE_URL
    deliver()
    assert len(mail.outbox) == 1
    subject, text, html = parts(mail.outbox[0])
    assert subject == "You already have a ServiceCraft account"
    assert "Hello Charlie Other," in text
    assert "already has an account (at Globex Stores)" in text
    assert f"{SITE_URL}/accounts/login/" in text and f"{SITE_URL}/accounts/password/reset/" in text
    assert_links_on_site_url(text, html)
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


# --- every email allauth sends here has the product's three parts ---------------------------------

# What allauth can send with this configuration: verification by link (not code), sign-in by password
# (no login codes), reset by link, no change notifications, enumeration prevented (so "unknown
# account" and "account already exists" emails). The test below fails if a setting changes that.
SENT_IN_THIS_CONFIGURATION = [
    "email_confirmation_signup",
    "email_confirmation",
    "password_reset_key",
    "unknown_account",
    "account_already_exists",
]


def test_the_configuration_sends_only_the_emails_we_have_templates_for():
    assert not allauth_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED
    assert not allauth_settings.LOGIN_BY_CODE_ENABLED
    assert not allauth_settings.PASSWORD_RESET_BY_CODE_ENABLED
    assert not allauth_settings.EMAIL_NOTIFICATIONS
    assert allauth_settings.PREVENT_ENUMERATION and allauth_settings.EMAIL_UNKNOWN_ACCOUNTS
    assert settings.ACCOUNT_EMAIL_SUBJECT_PREFIX == ""  # our subjects name the product themselves


@pytest.mark.parametrize("name", SENT_IN_THIS_CONFIGURATION)
def test_each_email_has_the_products_subject_text_and_html(name):
    folder = Path(settings.BASE_DIR) / "templates" / "account" / "email"
    for part in ("subject.txt", "message.txt", "message.html"):
        template = folder / f"{name}_{part}"
        assert template.is_file(), template
        assert "{{ product_name }}" in template.read_text() or "base_message" in template.read_text()
