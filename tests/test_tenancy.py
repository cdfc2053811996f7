"""Tenancy fails closed: the cross-organization sweep and the scoped-model rule.

The sweep requests every URL pattern of every project app (found from the app registry and the URL
resolver, see tests/tenancy_world.py) as every persona of Acme (admin, manager, employee, a manager
who authors), GET and POST, with Globex's ids:

in the path: the answer is a 404, and nothing of Globex's shows or changes.

Globex's text fields carry canary markers (tests/test_canary.py), so any page that shows a Globex row
is caught whatever its status. A view that cannot be swept (an unnamed pattern, a URL argument with no
Globex object) fails the sweep instead of being skipped. Positive controls prove each part can fail:
the same requests with Acme's own ids get through for some persona.
"""

from __future__ import annotations


import pytest
from django.urls import reverse

from organizations.models import OrganizationScopedQuerySet
from tests import tenancy_world
from tests.test_canary import mark_text_fields

# Public by design: the secret in the URL is the permission, and these pages show nothing beyond what
# the holder of the secret is meant to see.
PUBLIC_PATTERNS = {
    "organizations:invitation_accept": "the invitation token is the invitee's credential",
    "enrollments:certificate": "certificates are publicly verifiable by their code",
}

PERSONAS = tuple(tenancy_world.PERSONAS)


@pytest.fixture
def worlds(db):
    acme, globex = tenancy_world.build_worlds()
    markers = mark_text_fields(globex)
    return acme, globex, markers


def _url(pattern: tenancy_world.AppPattern, world: tenancy_world.World) -> str:
    return reverse(pattern.name, kwargs={key: world.url_kwargs[key] for key in pattern.kwargs})


def _leaked_markers(response, markers: set[str]) -> list[str]:
    body = response.content.decode(errors="replace")
    return sorted(marker for marker in markers if marker in body)


# --- What is swept ----------------------------------------------------------------------------------


def test_the_project_apps_come_from_the_app_registry():
    labels = {config.label for config in tenancy_world.project_app_configs()}

    assert {"organizations", "courses", "enrollments"} <= labels
    assert not labels & {"auth", "admin", "sessions", "account", "contenttypes"}


def test_every_pattern_of_the_project_apps_can_be_swept(worlds):
    acme, _, _ = worlds
    problems = []
    for pattern in tenancy_world.app_patterns():
        if pattern.name is None:
            problems.append(f"{pattern.route} ({pattern.module}) has no name: the sweep cannot reverse it")
            continue
        missing = sorted(pattern.kwargs - acme.url_kwargs.keys())
        if missing:
            problems.append(f"{pattern.name}: no object for {missing}; add one to build_world()")

    assert problems == []


def test_public_patterns_still_exist():
    names = {pattern.name for pattern in tenancy_world.app_patterns()}

    assert set(PUBLIC_PATTERNS) <= names


def test_the_sweep_covers_every_app_with_views():
    apps_with_patterns = {pattern.module.split(".")[0] for pattern in tenancy_world.app_patterns()}

    assert {"organizations", "courses", "enrollments"} <= apps_with_patterns


# --- 1. Ids in the path -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_another_organizations_ids_in_the_path_are_404(persona, worlds):
    acme, globex, markers = worlds
    client = acme.client(persona)
    fingerprint = tenancy_world.organization_fingerprint(globex.organization)
    leaks = []

    for pattern in tenancy_world.app_patterns():
        if not pattern.kwargs or pattern.name in PUBLIC_PATTERNS:
            continue
        url = _url(pattern, globex)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code != 404:
                leaks.append(f"{method.upper()} {url} ({pattern.name}) → {response.status_code}")
            if seen := _leaked_markers(response, markers):
                leaks.append(f"{method.upper()} {url} ({pattern.name}) shows {seen}")

    assert leaks == []
    assert tenancy_world.organization_fingerprint(globex.organization) == fingerprint
    assert tenancy_world.cross_organization_references() == []


def test_positive_control_own_ids_in_the_path_reach_some_persona(worlds):
    acme, _, _ = worlds
    clients = {persona: acme.client(persona) for persona in PERSONAS}
    unreachable = []

    for pattern in tenancy_world.app_patterns():
        if not pattern.kwargs or pattern.name in PUBLIC_PATTERNS:
            continue
        url = _url(pattern, acme)
        statuses = {persona: client.get(url).status_code for persona, client in clients.items()}
        if all(status == 404 for status in statuses.values()):
            unreachable.append(f"GET {url} ({pattern.name})")

    assert unreachable == []


# --- The scoped-model rule --------------------------------------------------------------------------


def test_every_organization_owned_model_uses_the_organization_scoped_queryset():
    owned = tenancy_world.organization_owned_models()
    problems = []

    for model, path in owned.items():
        queryset_class = getattr(model._default_manager, "_queryset_class", None)
        if not (isinstance(queryset_class, type) and issubclass(queryset_class, OrganizationScopedQuerySet)):
            problems.append(f"{model._meta.label}: default manager's queryset is {queryset_class}")
            continue
        if queryset_class.organization_path != path:
            problems.append(
                f"{model._meta.label}: organization_path is {queryset_class.organization_path!r}, "
                f"the model's path to its organization is {path!r}"
            )

    assert problems == []


def test_the_scoped_model_rule_knows_the_owned_models():
    labels = {model._meta.label for model in tenancy_world.organization_owned_models()}

    # A few known owners, direct and through parents, so a broken discovery cannot pass vacuously.
    assert {
        "organizations.Membership",
        "organizations.ServiceStandardRevision",
        "courses.Choice",
        "enrollments.Attempt",
        "enrollments.Certificate",
    } <= labels
    assert "organizations.Organization" not in labels
    assert "organizations.User" not in labels


