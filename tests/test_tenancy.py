"""The cross-organization sweep: every URL pattern of our apps that takes an id, slug, token or code is
requested, GET and POST, by every role of Acme with Globex's objects, and must answer 404.

The patterns come from the URL resolver, so a new view is swept without editing this test. A new kind
of URL argument makes `test_every_url_argument_has_a_foreign_object` fail until the world below gains
an object for it. A positive control proves the sweep is not vacuous: with Acme's own objects, some
Acme role gets something other than 404 from every pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from organizations.models import Role
from tests import factories
from tests.conftest import client_for

OUR_APPS = ("organizations.", "courses.", "enrollments.", "followups.")

# Public by design: the secret in the URL is the permission, and these pages show nothing beyond what
# the holder of the secret is meant to see.
PUBLIC_PATTERNS = {
    "organizations:invitation_accept": "the invitation token is the invitee's credential",
    "enrollments:certificate": "certificates are publicly verifiable by their code",
}


@dataclass(frozen=True)
class SweptPattern:
    name: str
    kwargs: frozenset[str]


def _walk(patterns, namespace: str | None, inherited: frozenset[str]) -> Iterator[SweptPattern]:
    for entry in patterns:
        own = frozenset(_pattern_kwargs(entry.pattern))
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if entry.namespace and namespace:
                ns = f"{namespace}:{entry.namespace}"
            yield from _walk(entry.url_patterns, ns, inherited | own)
        elif isinstance(entry, URLPattern):
            module = getattr(entry.callback, "__module__", "")
            if not module.startswith(OUR_APPS) or not entry.name:
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield SweptPattern(name=name, kwargs=inherited | own)


def _pattern_kwargs(pattern) -> set[str]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return set(converters)
    return set(pattern.regex.groupindex)


def swept_patterns() -> list[SweptPattern]:
    return [
        pattern
        for pattern in _walk(get_resolver().url_patterns, None, frozenset())
        if pattern.kwargs and pattern.name not in PUBLIC_PATTERNS
    ]


def build_world(organization, *, employee, manager) -> dict[str, object]:
    """One object of every kind a URL can name, owned by `organization`; URL kwarg → value."""
    from enrollments.services import attempt_start, attempt_submit

    standard = factories.ServiceStandardFactory(organization=organization)
    team = factories.TeamFactory(organization=organization)
    team.managers.add(manager)
    invitation = factories.InvitationFactory(organization=organization, team=team)
    course = factories.CourseFactory(organization=organization, status="published")
    lesson = factories.LessonFactory(course=course)
    lesson.standards.add(standard)
    question = factories.QuestionFactory(course=course)
    question.standards.add(standard)
    right = factories.ChoiceFactory(question=question, credit_percent=100)
    factories.ChoiceFactory(question=question, credit_percent=0)
    program = factories.ProgramFactory(organization=organization)
    factories.ProgramCourseFactory(program=program, course=course)
    attempt = attempt_start(membership=employee, course=course)
    attempt_submit(attempt_id=attempt.pk, membership=employee, responses={str(question.pk): [str(right.pk)]})
    return {
        "standard_id": standard.pk,
        "team_id": team.pk,
        "membership_id": employee.pk,
        "invitation_id": invitation.pk,
        "course_id": course.pk,
        "lesson_id": lesson.pk,
        "question_id": question.pk,
        "program_id": program.pk,
        "attempt_id": attempt.pk,
    }


@pytest.fixture
def acme_people(acme):
    return {
        Role.ADMIN: factories.member(acme, Role.ADMIN),
        Role.MANAGER: factories.member(acme, Role.MANAGER, can_author=True),
        Role.EMPLOYEE: factories.member(acme, Role.EMPLOYEE),
    }


@pytest.fixture
def globex_world(globex):
    employee = factories.member(globex, Role.EMPLOYEE)
    manager = factories.member(globex, Role.MANAGER, can_author=True)
    return build_world(globex, employee=employee, manager=manager)


@pytest.fixture
def acme_world(acme, acme_people):
    return build_world(acme, employee=acme_people[Role.EMPLOYEE], manager=acme_people[Role.MANAGER])


def test_the_sweep_finds_the_object_urls_of_every_app(db):
    names = {pattern.name for pattern in swept_patterns()}

    assert any(name.startswith("organizations:") for name in names)
    assert any(name.startswith("courses:") for name in names)
    assert any(name.startswith("enrollments:") for name in names)


def test_every_url_argument_has_a_foreign_object(globex_world):
    unknown = {
        pattern.name: sorted(pattern.kwargs - globex_world.keys())
        for pattern in swept_patterns()
        if pattern.kwargs - globex_world.keys()
    }

    assert unknown == {}, "Add an object for these URL arguments to build_world() in tests/test_tenancy.py"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.EMPLOYEE])
def test_another_organizations_objects_are_404_for_every_role(role, acme_people, globex_world):
    client = client_for(acme_people[role])
    leaks = []

    for pattern in swept_patterns():
        url = reverse(pattern.name, kwargs={key: globex_world[key] for key in pattern.kwargs})
        for method in (client.get, client.post):
            status = method(url).status_code
            if status != 404:
                leaks.append(f"{method.__name__.upper()} {url} ({pattern.name}) → {status}")

    assert leaks == []


def test_positive_control_own_objects_are_reachable_by_some_role(acme_people, acme_world):
    clients = {role: client_for(membership) for role, membership in acme_people.items()}
    unreachable = []

    for pattern in swept_patterns():
        url = reverse(pattern.name, kwargs={key: acme_world[key] for key in pattern.kwargs})
        statuses = {role: client.get(url).status_code for role, client in clients.items()}
        if all(status == 404 for status in statuses.values()):
            unreachable.append(f"GET {url} ({pattern.name})")

    assert unreachable == []
