"""The demo organization: complete, realistic, idempotent, and its people can sign in."""

from __future__ import annotations

import io
import zoneinfo

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from organizations.demo import DEMO_PASSWORD, seed_demo_organization
from organizations.models import Membership, Organization, Role, ServiceStandard, ServiceStandardRevision, Team, User


@pytest.fixture
def demo(db):
    return seed_demo_organization()


def _snapshot() -> dict[str, list[dict]]:
    """Every row of every table (including many-to-many tables), to prove that nothing changed."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def test_demo_organization_has_vision_promise_and_six_standards(demo):
    organization = demo.organization

    assert organization.vision and organization.customer_promise
    standards = list(ServiceStandard.objects.of_organization(organization.pk))
    assert [standard.code for standard in standards] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    for standard in standards:
        assert standard.title and standard.description
        assert 3 <= len(standard.behaviors) <= 4, standard.code
        assert standard.version == 1
        revisions = list(standard.revisions.all())
        assert [(r.version, r.edited_by_id) for r in revisions] == [(1, demo.admin.user_id)]


def test_demo_people_have_roles_teams_titles_and_time_zones(demo):
    memberships = list(Membership.objects.of_organization(demo.organization.pk).select_related("user", "team"))
    by_role = {role: [m for m in memberships if m.role == role] for role in Role.values}

    assert len(by_role[Role.ADMIN]) == 1
    assert len(by_role[Role.MANAGER]) == 2
    assert 8 <= len(by_role[Role.EMPLOYEE]) <= 12
    assert [m.can_author for m in by_role[Role.MANAGER]].count(True) == 1

    teams = list(Team.objects.of_organization(demo.organization.pk).prefetch_related("managers"))
    assert len(teams) == 2
    for team in teams:
        managers = list(team.managers.all())
        assert len(managers) == 1 and managers[0].role == Role.MANAGER and managers[0].team_id == team.pk
        assert sum(m.team_id == team.pk for m in by_role[Role.EMPLOYEE]) >= 3, team.name

    for membership in memberships:
        user = membership.user
        assert user.name and membership.job_title, user.email
        assert user.time_zone in zoneinfo.available_timezones(), user.email
        assert user.check_password(DEMO_PASSWORD), user.email
    assert len({m.user.time_zone for m in memberships}) >= 2


def test_demo_emails_are_verified_and_primary_for_allauth(demo):
    for membership in demo.people:
        address = EmailAddress.objects.get(user=membership.user)
        assert address.email == membership.user.email
        assert address.verified and address.primary


def test_seeding_twice_changes_nothing(demo):
    before = _snapshot()
    revisions_before = ServiceStandardRevision.objects.count()

    again = seed_demo_organization()

    assert again.created is False
    assert again.organization.pk == demo.organization.pk
    assert ServiceStandardRevision.objects.count() == revisions_before
    assert _snapshot() == before


def test_seed_demo_command_prints_how_to_sign_in_and_is_idempotent(db):
    first = io.StringIO()
    call_command("seed_demo", stdout=first)
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    second = io.StringIO()
    call_command("seed_demo", stdout=second)

    output = first.getvalue()
    assert f"{settings.SITE_URL}/accounts/login/" in output
    assert DEMO_PASSWORD in output
    for membership in Membership.objects.select_related("user"):
        line = next(line for line in output.splitlines() if membership.user.email in line)
        assert membership.get_role_display().lower() in line
    assert Organization.objects.count() == 1
    assert counts == {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    assert "left unchanged" in second.getvalue()


def test_demo_admin_signs_in_through_the_login_form(demo, client):
    admin = demo.admin.user

    response = client.post(reverse("account_login"), {"login": admin.email, "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(admin.pk)
    home = client.get(response["Location"], follow=True)  # an admin lands on the team dashboard
    assert home.status_code == 200
    assert demo.organization.name in home.content.decode()


def test_a_wrong_password_does_not_sign_in(demo, client):
    response = client.post(reverse("account_login"), {"login": demo.admin.user.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert User.objects.filter(last_login__isnull=False).count() == 0
