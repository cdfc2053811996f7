"""Races on invitations against real PostgreSQL, forced every run.

Each test releases twenty threads (each with its own connection and transaction) at a
threading.Barrier placed just before the write the guard protects, after every thread has passed
the checks that read the database. So every run is the worst interleaving: all twenty saw "pending"
or "no account yet", and only then does anyone write. Without the guard each test fails every time
(see the note on each).
"""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from organizations import services
from organizations.forms import InvitationSignupForm
from organizations.models import Invitation, Membership, User
from tests import factories
from tests.enrollments.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
PASSWORD = "a long and unusual passphrase 42"


def accept_url(invitation: Invitation) -> str:
    return reverse("organizations:invitation_accept", kwargs={"token": invitation.token})


def released_together(function, parties: int):
    """`function`, made to wait until `parties` callers have reached it, then run."""
    barrier = threading.Barrier(parties)

    def wrapper(*args, **kwargs):
        barrier.wait(timeout=30)
        return function(*args, **kwargs)

    return wrapper


@override_settings(ACCOUNT_RATE_LIMITS=False)  # twenty sign-ups from one address within a second
def test_twenty_simultaneous_signups_with_one_invitation_make_one_account_and_no_server_error():
    # given: twenty browsers opened the invitation link and each shows the sign-up form
    cache.clear()
    organization = factories.OrganizationFactory()
    invitation = factories.InvitationFactory(organization=organization, email="dave@example.com")
    clients = [Client(raise_request_exception=False) for _ in range(THREADS)]
    for client in clients:
        client.get(accept_url(invitation))
    data = {"name": "Dave", "email": "dave@example.com", "password1": PASSWORD, "password2": PASSWORD}

    # when: all twenty submit; every form has been validated (no account yet) before anyone saves
    together = released_together(InvitationSignupForm.try_save, THREADS)
    with mock.patch.object(InvitationSignupForm, "try_save", together):
        responses = run_together(
            *[lambda client=client: client.post(reverse("account_signup"), data) for client in clients]
        )

    # then: one account and one membership; everyone else is told to sign in with that account.
    # Without the guard (the IntegrityError on the email caught in InvitationSignupForm.try_save),
    # the nineteen others get a 500 every run.
    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [302] * THREADS, statuses
    locations = sorted(response["Location"] for response in responses)
    assert locations.count(reverse("account_login")) == THREADS - 1, locations
    assert User.objects.filter(email="dave@example.com").count() == 1
    assert Membership.objects.filter(organization=organization).count() == 1


def test_twenty_simultaneous_accepts_by_the_invited_person_all_land_in_the_organization():
    # given: dave, signed in, opens his invitation link in twenty tabs at once
    organization = factories.OrganizationFactory()
    invitation = factories.InvitationFactory(organization=organization, email="dave@example.com")
    dave = factories.UserFactory(email="dave@example.com")
    clients = [Client(raise_request_exception=False) for _ in range(THREADS)]
    for client in clients:
        client.force_login(dave)

    # when: every request has seen the invitation pending before any of them uses it
    together = released_together(services._invitation_accept, THREADS)
    with mock.patch.object(services, "_invitation_accept", together):
        responses = run_together(*[lambda client=client: client.get(accept_url(invitation)) for client in clients])

    # then: every tab lands on the organization's home page; none says "already used".
    # Without the guard (invitation_accept recognizing that the winner was this same person), the
    # nineteen others answer 410 "This invitation has already been used" every run.
    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert [response.status_code for response in responses] == [302] * THREADS
    assert {response["Location"] for response in responses} == {reverse("enrollments:home")}
    assert Membership.objects.filter(user=dave, organization=organization).count() == 1


def test_twenty_simultaneous_opens_join_once_and_tell_the_others_they_are_members():
    organization = factories.OrganizationFactory()
    invitation = factories.InvitationFactory(organization=organization, email="dave@example.com")
    dave = factories.UserFactory(email="dave@example.com")

    together = released_together(services._invitation_accept, THREADS)
    with mock.patch.object(services, "_invitation_accept", together):
        openings = run_together(
            *[lambda: services.invitation_open(token=invitation.token, user=dave) for _ in range(THREADS)]
        )

    assert not [o for o in openings if isinstance(o, Exception)], openings
    assert sorted(opening.outcome for opening in openings) == ["joined"] + ["member"] * (THREADS - 1)
    assert {opening.membership.pk for opening in openings} == {
        Membership.objects.get(user=dave, organization=organization).pk
    }
