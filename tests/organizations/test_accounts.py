"""Sign-up through allauth is by invitation only, and allauth's pages look like the product."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from organizations import services
from organizations.adapters import INVITATION_SESSION_KEY
from organizations.models import Invitation, Membership, Role, User
from organizations.tenancy import CURRENT_ORGANIZATION_SESSION_KEY
from tests import factories
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD
from tests.mailbox import deliver
from tests.organizations.invitation_fixtures import (  # noqa: F401  (fixtures)
    age,
    dave_invitation,
    front_desk,
)

PASSWORD = "a long and unusual passphrase 42"


def accept_url(invitation: Invitation) -> str:
    return reverse("organizations:invitation_accept", kwargs={"token": invitation.token})


def signup_data(**overrides) -> dict[str, str]:
    return {"name": "Dave N.", "email": "dave@example.com", "password1": PASSWORD, "password2": PASSWORD} | overrides


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- invitation-only sign-up ------------------------------------------------------------------------


def test_signup_without_an_invitation_is_closed(client, db):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "account/signup_closed.html"
    assert "Sign-up is by invitation" in response.content.decode()

    response = client.post(reverse("account_signup"), signup_data())

    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(email__in=["dave@example.com", "mallory@example.com"]).exists()


def test_a_token_that_is_no_longer_valid_closes_signup(client, alice, dave_invitation):
    client.get(accept_url(dave_invitation))
    services.invitation_revoke(invitation=dave_invitation, actor=alice)

    response = client.post(reverse("account_signup"), signup_data())

    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(email__in=["dave@example.com", "mallory@example.com"]).exists()


def test_the_full_signup_flow(acme, dave_invitation, front_desk):
    client = Client()

    # given: the link from the email
    response = client.get(accept_url(dave_invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    assert client.session[INVITATION_SESSION_KEY] == dave_invitation.token

    # the sign-up page: email fixed to the invitation's, name prefilled, the organization named
    response = client.get(reverse("account_signup"))
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<input[^>]*name="email"[^>]*readonly', body) or re.search(
        r'<input[^>]*readonly[^>]*name="email"', body
    )
    assert 'value="dave@example.com"' in body
    assert 'value="Dave Newcomer"' in body
    assert "Invitation to Acme Hotels" in body
    assert "as employee in the team Front desk" in body

    # when: they sign up
    response = client.post(reverse("account_signup"), signup_data())

    # then: the account, its membership and the used invitation exist together
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="dave@example.com")
    assert user.name == "Dave N."
    assert user.time_zone == "America/New_York"
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.team) == (acme, Role.EMPLOYEE, front_desk)
    dave_invitation.refresh_from_db()
    assert (dave_invitation.status, dave_invitation.accepted_by) == ("accepted", user)
    assert INVITATION_SESSION_KEY not in client.session
    assert not EmailAddress.objects.get(user=user).verified

    # not signed in until the address is verified
    assert client.get(reverse("enrollments:home")).status_code == 302
    verification_page = client.get(reverse("account_email_verification_sent"))
    assert "Confirm your email address" in verification_page.content.decode()

    # the verification email, then the confirmation
    deliver()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dave@example.com"]
    path = confirmation_path(mail.outbox[0])
    assert "Confirm that" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollments:home")

    # lands signed in on the organization's home, as an employee of Acme
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert response.wsgi_request.user == user
    assert response.wsgi_request.membership == membership
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == acme.pk
    assert EmailAddress.objects.get(user=user).verified


def test_a_different_email_posted_is_rejected(client, dave_invitation):
    client.get(accept_url(dave_invitation))

    response = client.post(reverse("account_signup"), signup_data(email="mallory@example.com"))

    assert response.status_code == 200
    assert "Sign up with the address your invitation was sent to (dave@example.com)" in response.content.decode()
    assert not User.objects.filter(email__in=["dave@example.com", "mallory@example.com"]).exists()
    dave_invitation.refresh_from_db()
    assert dave_invitation.status == "pending"


def test_a_second_signup_with_the_same_token_is_rejected(dave_invitation):
    first, second = Client(), Client()
    first.get(accept_url(dave_invitation))
    second.get(accept_url(dave_invitation))  # the link opened twice, e.g. forwarded
    first.post(reverse("account_signup"), signup_data())

    response = second.post(reverse("account_signup"), signup_data(name="Someone else"))

    assert "Sign-up is by invitation" in response.content.decode()
    assert User.objects.filter(email="dave@example.com").count() == 1
    assert second.get(accept_url(dave_invitation)).status_code == 410


def test_an_invitation_used_between_form_and_submit_creates_no_account(client, dave_invitation):
    client.get(accept_url(dave_invitation))

    # the invitation is used by a concurrent sign-up after the form was validated
    with mock.patch.object(services, "invitation_accept", side_effect=services.InvitationNotAcceptable("accepted")):
        response = client.post(reverse("account_signup"), signup_data())

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    # the user row was rolled back with the failed acceptance
    assert not User.objects.filter(email__in=["dave@example.com", "mallory@example.com"]).exists()
    assert not EmailAddress.objects.exists()
    assert deliver() == []


def test_an_expired_invitation_cannot_sign_up(client, dave_invitation):
    age(dave_invitation, days=8)

    assert client.get(accept_url(dave_invitation)).status_code == 410
    assert "Sign-up is by invitation" in client.get(reverse("account_signup")).content.decode()


def test_someone_with_an_account_signs_in_to_accept(acme, globex, dave_invitation, front_desk):
    dave = factories.member(globex, Role.EMPLOYEE, user__email="dave@example.com")
    EmailAddress.objects.create(user=dave.user, email="dave@example.com", verified=True, primary=True)
    client = Client()

    response = client.get(accept_url(dave_invitation))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(response["Location"], {"login": "dave@example.com", "password": TEST_PASSWORD})
    assert response["Location"] == accept_url(dave_invitation)
    response = client.get(response["Location"])
    assert response["Location"] == reverse("enrollments:home")
    membership = Membership.objects.get(user=dave.user, organization=acme)
    assert (membership.role, membership.team) == (Role.EMPLOYEE, front_desk)
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == acme.pk


def test_following_the_link_again_after_joining_goes_home(dave_invitation):
    user = factories.UserFactory(email="dave@example.com")
    services.invitation_accept(invitation=dave_invitation, user=user)
    client = Client()
    client.force_login(user)

    response = client.get(accept_url(dave_invitation))

    assert response.status_code == 302
    assert response["Location"] == reverse("enrollments:home")


# --- allauth's pages in the product's clothes -------------------------------------------------------


def assert_product_page(response) -> str:
    body = response.content.decode()
    assert response.status_code == 200, body[:500]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "/static/css/app.css" in body and "/static/css/accounts.css" in body
    assert 'class="site-header"' in body and "ServiceCraft" in body
    assert "· ServiceCraft</title>" in body
    assert "<script>" not in body and " style=" not in body
    return body


@pytest.mark.parametrize(
    "name, text",
    [
        ("account_login", "Sign in"),
        ("account_signup", "Sign-up is by invitation"),
        ("account_reset_password", "Reset your password"),
        ("account_reset_password_done", "Check your email"),
        ("account_reset_password_from_key_done", "Your password is changed"),
        ("account_email_verification_sent", "Confirm your email address"),
    ],
)
def test_signed_out_account_pages_use_the_product_layout(client, db, name, text):
    body = assert_product_page(client.get(reverse(name)))

    assert text in body
    assert 'class="auth-card"' in body


def test_the_login_page_does_not_offer_a_closed_signup(client, db):
    body = assert_product_page(client.get(reverse("account_login")))

    assert reverse("account_signup") not in body
    assert "by invitation" in body
    assert reverse("account_reset_password") in body  # "Forgot your password?"


def test_bad_links_get_clear_pages(client, db):
    body = assert_product_page(
        client.get(reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"}))
    )
    assert "This reset link is not valid" in body

    body = assert_product_page(client.get(reverse("account_confirm_email", kwargs={"key": "bad-key"})))
    assert "This confirmation link is not valid" in body


def test_signed_in_account_pages_use_the_product_layout(carol):
    EmailAddress.objects.create(user=carol.user, email=carol.user.email, verified=True, primary=True)
    client = client_for(carol)

    body = assert_product_page(client.get(reverse("account_logout")))
    assert "Sign out?" in body

    body = assert_product_page(client.get(reverse("account_email")))
    assert "carol@acme.test" in body and "Confirmed" in body

    body = assert_product_page(client.get(reverse("account_change_password")))
    assert 'name="oldpassword"' in body
    assert '<label for="id_oldpassword">' in body


def test_the_password_reset_flow(client, carol):
    EmailAddress.objects.create(user=carol.user, email=carol.user.email, verified=True, primary=True)

    response = client.post(reverse("account_reset_password"), {"email": "carol@acme.test"})
    assert response["Location"] == reverse("account_reset_password_done")
    deliver()
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link)
    response = client.get(response["Location"]) if response.status_code == 302 else response
    body = assert_product_page(response)
    assert "Choose a new password" in body

    response = client.post(response.wsgi_request.path, {"password1": PASSWORD, "password2": PASSWORD})

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    carol.user.refresh_from_db()
    assert carol.user.check_password(PASSWORD)
