"""Fixtures shared by the whole suite: named personas in two organizations.

alice is the admin of Acme; bob manages Acme's front desk; carol works there. charlie is the admin of
Globex and must never see anything of Acme's (and Acme's people nothing of Globex's).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from organizations.models import Role
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: allauth keeps its rate limits there (one verification
    email per address every few minutes), so a test that sent one to dave@example.com silenced the
    next test's email in some run orders."""
    cache.clear()
    yield


@pytest.fixture
def notice_categories(monkeypatch):
    """In-app notification categories for tests outside tests/notifications, registered for the test only.

    The product's own in-app categories belong to the apps that send them (enrollments' reminders);
    a test that needs notices without them gets these two: a reminder that cannot be turned off and
    optional news.
    """
    from notifications import categories
    from notifications.categories import Category

    monkeypatch.setattr(categories, "_categories", dict(categories._categories))
    categories.register(
        Category(
            name="sample-reminder", label="Due-date reminders", in_app=True, combine_group="sample-reminders",
            description="Reminders about your assignments' due dates.",
        )
    )
    categories.register(
        Category(name="sample-news", label="Training news", optional=True, in_app=True, description="New courses.")
    )


@pytest.fixture
def acme(db):
    return factories.OrganizationFactory(name="Acme Hotels", slug="acme")


@pytest.fixture
def globex(db):
    return factories.OrganizationFactory(name="Globex Stores", slug="globex")


@pytest.fixture
def alice(acme):
    return factories.member(acme, Role.ADMIN, user__email="alice@acme.test", user__name="Alice Admin")


@pytest.fixture
def bob(acme):
    return factories.member(acme, Role.MANAGER, user__email="bob@acme.test", user__name="Bob Manager")


@pytest.fixture
def carol(acme):
    return factories.member(acme, Role.EMPLOYEE, user__email="carol@acme.test", user__name="Carol Employee")


@pytest.fixture
def charlie(globex):
    return factories.member(globex, Role.ADMIN, user__email="charlie@globex.test", user__name="Charlie Other")


# What every signed-in request costs before its view: the user with the acting membership, in one query
# (organizations.tenancy); the session comes from the cache (cached_db).
REQUEST_PATH_QUERIES = 1


def client_for(membership) -> Client:
    """A test client signed in as the membership's user, acting in its organization.

    Warm like a person's next page: their header's unread-notification count is already cached, so
    page budgets count the page itself (a cold count costs one query: tests/notifications/test_views.py).
    """
    from notifications.selectors import unread_count

    client = Client()
    client.force_login(membership.user)
    unread_count(user_id=membership.user_id)
    return client
