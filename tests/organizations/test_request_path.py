"""The request path (organizations/tenancy.py): the session from the cache, the user and the acting
membership in one query, and every change to them in effect on the very next request.

Each test runs twice: on the suite's local-memory cache and on Redis, the cache production uses (the
`cached_db` session engine reads sessions from it).
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from organizations import services
from organizations.models import Role
from organizations.tenancy import CURRENT_ORGANIZATION_SESSION_KEY, CurrentMembershipMiddleware
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for


@pytest.fixture(params=["locmem", "redis"], autouse=True)
def session_cache(request, settings):
    """The cache sessions are read from: the suite's, then production's Redis (a key prefix of its own)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.CELERY_BROKER_URL,
                "KEY_PREFIX": f"test-request-path-{uuid.uuid4().hex}",
            }
        }
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    return request.param


def _acting(client):
    """Run the request path alone (sessions, authentication, membership) for the client's session cookie."""
    seen = {}

    def view(request):
        seen["user"], seen["membership"] = request.user, request.membership
        return HttpResponse("ok")

    stack = SessionMiddleware(AuthenticationMiddleware(CurrentMembershipMiddleware(view)))
    request = RequestFactory().get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    stack(request)
    return seen["user"], seen["membership"]


def test_a_warm_request_costs_one_query(carol, acme, django_assert_num_queries):
    carol.team = factories.TeamFactory(organization=acme, name="Front desk")
    carol.save(update_fields=["team"])
    client = client_for(carol)

    with django_assert_num_queries(REQUEST_PATH_QUERIES):
        user, membership = _acting(client)

    assert REQUEST_PATH_QUERIES == 1
    assert user == carol.user and membership == carol
    # the user, organization and team came with the membership: reading them costs nothing
    with django_assert_num_queries(0):
        assert membership.user is user
        assert (membership.organization.name, membership.team.name) == (carol.organization.name, carol.team.name)


def test_a_session_missing_from_the_cache_is_read_from_the_database_and_cached_again(
    carol, django_assert_num_queries
):
    client = client_for(carol)
    cache.clear()  # Redis restarted, or evicted the session

    with django_assert_num_queries(REQUEST_PATH_QUERIES + 1):
        assert _acting(client)[1] == carol
    with django_assert_num_queries(REQUEST_PATH_QUERIES):
        assert _acting(client)[1] == carol


def test_a_changed_role_takes_effect_on_the_next_request(carol, alice):
    client = client_for(carol)
    assert client.get(reverse("enrollments:home")).status_code == 200  # an employee's home

    services.membership_update(
        membership=carol, actor=alice, role=Role.MANAGER, team=carol.team, job_title="", can_author=False,
        is_active=True,
    )

    response = client.get(reverse("enrollments:home"))
    assert response.status_code == 302 and response["Location"] == reverse("enrollments:dashboard")
    assert _acting(client)[1].role == Role.MANAGER


def test_a_demoted_manager_loses_the_manager_pages_on_the_next_request(bob, alice):
    client = client_for(bob)
    assert client.get(reverse("enrollments:dashboard")).status_code == 200

    services.membership_update(
        membership=bob, actor=alice, role=Role.EMPLOYEE, team=bob.team, job_title="", can_author=False, is_active=True
    )

    assert client.get(reverse("enrollments:dashboard")).status_code == 404


def test_a_changed_team_takes_effect_on_the_next_request(carol, alice, acme):
    client = client_for(carol)
    assert _acting(client)[1].team == carol.team
    night_shift = factories.TeamFactory(organization=acme, name="Night shift")

    services.membership_update(
        membership=carol, actor=alice, role=Role.EMPLOYEE, team=night_shift, job_title="", can_author=False,
        is_active=True,
    )

    assert _acting(client)[1].team == night_shift


def test_a_deactivated_membership_takes_effect_on_the_next_request(carol, alice):
    client = client_for(carol)
    assert client.get(reverse("enrollments:my_learning")).status_code == 200

    services.membership_update(
        membership=carol, actor=alice, role=Role.EMPLOYEE, team=carol.team, job_title="", can_author=False,
        is_active=False,
    )

    response = client.get(reverse("enrollments:my_learning"))
    assert response.status_code == 302 and response["Location"] == reverse("organizations:no_organization")
    user, membership = _acting(client)
    assert user == carol.user and membership is None


def test_a_deactivated_user_is_signed_out_on_the_next_request(carol):
    client = client_for(carol)
    assert client.get(reverse("enrollments:my_learning")).status_code == 200

    carol.user.is_active = False
    carol.user.save(update_fields=["is_active"])

    response = client.get(reverse("enrollments:my_learning"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    user, membership = _acting(client)
    assert not user.is_authenticated and membership is None


def test_a_changed_password_ends_other_sessions_on_the_next_request(carol):
    client = client_for(carol)
    assert _acting(client)[0] == carol.user

    carol.user.set_password("a new password, changed on another device")
    carol.user.save(update_fields=["password"])

    user, membership = _acting(client)
    assert not user.is_authenticated and membership is None
    assert client.get(reverse("enrollments:my_learning")).status_code == 302


def test_the_chosen_organization_until_its_membership_ends(carol, globex, charlie):
    # given: carol also works for Globex (joined later) and chose it with the switcher
    at_globex = factories.member(globex, Role.EMPLOYEE, user=carol.user)
    client = client_for(carol)
    assert _acting(client)[1] == carol  # the oldest membership by default
    session = client.session
    session[CURRENT_ORGANIZATION_SESSION_KEY] = globex.pk
    session.save()
    assert _acting(client)[1] == at_globex

    # when: Globex deactivates her
    services.membership_update(
        membership=at_globex, actor=charlie, role=Role.EMPLOYEE, team=None, job_title="", can_author=False,
        is_active=False,
    )

    # then: the next request acts in her remaining organization
    assert _acting(client)[1] == carol


def test_a_person_without_an_organization_is_still_signed_in(db):
    user = factories.UserFactory()
    client = Client()
    client.force_login(user)

    user_seen, membership = _acting(client)

    assert user_seen == user and membership is None
    assert client.get(reverse("enrollments:my_learning"))["Location"] == reverse("organizations:no_organization")
