"""The invitation link in a browser, phone and desktop: joining, following it again, and losing a sign-up race.

The pages are the existing ones (home, sign-in); what is checked is the message each outcome of
`services.invitation_open` and of a lost sign-up race shows, and that the pages stay accessible.
"""

from __future__ import annotations

from unittest import mock

import pytest
from allauth.account.forms import SignupForm
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import Invitation, Membership, User
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, expect_message, shot
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase 42"


def accept_path(invitation: Invitation) -> str:
    return reverse("organizations:invitation_accept", kwargs={"token": invitation.token})


@pytest.mark.parametrize(("size", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_following_the_link_joins_then_says_already_a_member(new_context, size, options):
    acme = factories.OrganizationFactory(name="Acme Hotels")
    factories.member(acme, "admin")
    invitation = factories.InvitationFactory(organization=acme, email="dave@example.com")
    dave = factories.UserFactory(email="dave@example.com")
    EmailAddress.objects.create(user=dave, email=dave.email, verified=True, primary=True)
    page = new_context(**options).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(dave.email)
    page.get_by_label("Password:", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(accept_path(invitation))
    expect_message(page, "Welcome to Acme Hotels!")
    shot(page, f"invitation-joined-{size}")

    page.goto(accept_path(invitation))
    expect_message(page, "You are already a member of Acme Hotels.")
    assert_no_horizontal_overflow(page)
    shot(page, f"invitation-already-member-{size}")
    assert Membership.objects.filter(user=dave, organization=acme).count() == 1


@pytest.mark.parametrize(("size", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_sign_up_that_loses_the_race_for_its_address_is_sent_to_sign_in(new_context, size, options):
    acme = factories.OrganizationFactory(name="Acme Hotels")
    invitation = factories.InvitationFactory(organization=acme, email="dave@example.com")
    page = new_context(**options).new_page()
    page.goto(accept_path(invitation))
    page.get_by_label("Your name").fill("Dave")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)

    # The race: another sign-up with the same address commits between this form's validation and
    # its save. Its effect, the database's refusal of a second user with that email, is replayed
    # here with a real IntegrityError from PostgreSQL.
    factories.UserFactory(email="erin@example.com")
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        User.objects.create(email="erin@example.com")
    with mock.patch.object(SignupForm, "try_save", side_effect=duplicate.value):
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    expect_message(page, "An account for dave@example.com has just been created with this invitation")
    assert_no_horizontal_overflow(page)
    shot(page, f"invitation-signup-race-lost-{size}")
    assert not User.objects.filter(email="dave@example.com").exists()
