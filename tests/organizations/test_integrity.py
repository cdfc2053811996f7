"""`violated_constraint` names the constraint an IntegrityError violated, on PostgreSQL and on SQLite.

PostgreSQL: real violations in the test database. SQLite: real violations from Django's SQLite
backend on an in-memory database built from the same models, and the services run end to end in the
embedded mode (a SQLite file, in a subprocess with the local settings), where a duplicate must give
the same form error as on PostgreSQL, never a 500.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from enrollments.models import Attempt, CourseProgress
from organizations.integrity import violated_constraint
from organizations.models import USER_EMAIL_CONSTRAINTS, Invitation, Organization, ServiceStandard, Team, User
from tests import factories

REPOSITORY = Path(__file__).resolve().parents[2]


def _violation(insert) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        insert()
    return caught.value


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_postgresql_unique_constraints_on_fields(acme):
    factories.ServiceStandardFactory(organization=acme, code="S1")
    factories.TeamFactory(organization=acme, name="Front desk")

    standard = _violation(lambda: factories.ServiceStandardFactory(organization=acme, code="S1"))
    team = _violation(lambda: factories.TeamFactory(organization=acme, name="Front desk"))

    assert violated_constraint(standard) == "standard_code_unique_per_org"
    assert violated_constraint(team) == "team_name_unique_per_org"


def test_postgresql_partial_and_expression_unique_constraints(acme):
    factories.InvitationFactory(organization=acme, email="dave@example.com")
    factories.UserFactory(email="dave@example.com")

    invitation = _violation(lambda: factories.InvitationFactory(organization=acme, email="DAVE@example.com"))
    user = _violation(lambda: User.objects.create(email="dave@example.com"))

    assert violated_constraint(invitation) == "invitation_one_open_per_email"
    assert violated_constraint(user) in USER_EMAIL_CONSTRAINTS


def test_postgresql_partial_unique_constraint_on_a_field(carol):
    course = factories.CourseFactory(organization=carol.organization)
    progress = CourseProgress.objects.create(membership=carol, course=course)
    Attempt.objects.create(progress=progress, number=1, snapshot={})

    error = _violation(lambda: Attempt.objects.create(progress=progress, number=2, snapshot={}))

    assert violated_constraint(error) == "attempt_one_open_per_progress"


def test_an_error_without_a_constraint_name_gives_none(db):
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO organizations_team (organization_id, name) VALUES (NULL, 'x')")

    assert violated_constraint(caught.value) is None  # a NOT NULL violation names no constraint


# --- SQLite, through Django's own SQLite backend --------------------------------------------------


@pytest.fixture
def sqlite(db):  # `db` only lifts pytest-django's block on opening connections
    """An in-memory SQLite database with the tables of the models the services guard."""
    settings_dict = {
        **connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "OPTIONS": {},
    }
    wrapper = SQLiteWrapper(settings_dict, alias="embedded-test")
    with wrapper.schema_editor(atomic=False) as editor:  # atomic would look the alias up in `connections`
        for model in (Organization, User, Team, ServiceStandard, Invitation):
            editor.create_model(model)
    with wrapper.cursor() as cursor:
        cursor.execute(
            "INSERT INTO organizations_organization (id, name, slug, vision, customer_promise, time_zone, created_at,"
            " reminder_lead_days, escalate_after_days, skip_level_after_days, sending_window_start,"
            " sending_window_end, sending_weekdays, daily_reminder_cap)"
            " VALUES (1, 'Acme', 'acme', '', '', 'UTC', '2026-01-01', 3, 3, 7, '08:00', '18:00', '12345', 3)"
        )
    yield wrapper
    wrapper.close()


def _sqlite_violation(wrapper, *statements: str) -> IntegrityError:
    with wrapper.cursor() as cursor:
        for statement in statements[:-1]:
            cursor.execute(statement)
        with pytest.raises(IntegrityError) as caught:
            cursor.execute(statements[-1])
    return caught.value


def test_sqlite_unique_constraints_on_fields_are_found_from_their_columns(sqlite):
    standard = (
        "INSERT INTO organizations_servicestandard (organization_id, code, title, description, behaviors, "
        "\"order\", is_active, version, updated_at) VALUES (1, 'S1', 't', '', '[]', 0, 1, 1, '2026-01-01')"
    )
    team = "INSERT INTO organizations_team (organization_id, name) VALUES (1, 'Front desk')"

    standard_error = _sqlite_violation(sqlite, standard, standard)
    team_error = _sqlite_violation(sqlite, team, team)

    # SQLite names only the columns; the helper gives the constraint's name, as PostgreSQL does.
    assert "organizations_team.organization_id, organizations_team.name" in str(team_error)
    assert violated_constraint(standard_error) == "standard_code_unique_per_org"
    assert violated_constraint(team_error) == "team_name_unique_per_org"


def test_sqlite_expression_and_field_unique_constraints(sqlite):
    user = (
        "INSERT INTO organizations_user (password, email, name, time_zone, language, is_active, is_staff, "
        "is_superuser, date_joined) VALUES ('', '{email}', '', 'UTC', 'en', 1, 0, 0, '2026-01-01')"
    )
    invitation = (
        "INSERT INTO organizations_invitation (organization_id, email, name, role, time_zone, token, created_at, "
        "expires_at) VALUES (1, '{email}', '', 'employee', '', '{token}', '2026-01-01', '2026-01-08')"
    )

    user_error = _sqlite_violation(sqlite, user.format(email="dave@example.com"), user.format(email="dave@example.com"))
    invitation_error = _sqlite_violation(
        sqlite,
        invitation.format(email="dave@example.com", token="a"),
        invitation.format(email="DAVE@example.com", token="b"),
    )
    token_error = _sqlite_violation(sqlite, invitation.format(email="erin@example.com", token="a"))

    assert violated_constraint(user_error) in USER_EMAIL_CONSTRAINTS
    assert violated_constraint(invitation_error) == "invitation_one_open_per_email"
    assert violated_constraint(token_error) == "organizations_invitation_token_key"  # a field's unique=True


# --- The embedded mode end to end -----------------------------------------------------------------

EMBEDDED_SCRIPT = textwrap.dedent(
    """
    import json
    from unittest import mock

    import django
    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from organizations import services
    from organizations.models import Membership, Organization, Role, User

    assert connection.vendor == "sqlite"
    acme = Organization.objects.create(name="Acme", slug="acme")
    alice = Membership.objects.create(
        organization=acme, role=Role.ADMIN, user=User.objects.create_user("alice@example.com")
    )
    results = {}
    for name, call in [
        ("standard", lambda: services.standard_create(actor=alice, code="S1", title="Greet")),
        ("team", lambda: services.team_create(actor=alice, name="Front desk", managers=[alice])),
    ]:
        call()
        try:
            call()
        except ValidationError as error:
            results[name] = sorted(error.message_dict)
    # The race of two invitations to one address: the second does not see the first (as when both
    # requests read before either wrote) and must take it as the answer.
    first = services.invitation_create(actor=alice, email="dave@example.com")
    real = services._open_invitations
    calls = iter([lambda **kw: real(**kw).none(), real])
    with mock.patch.object(services, "_open_invitations", side_effect=lambda **kw: next(calls)(**kw)):
        second = services.invitation_create(actor=alice, email="DAVE@example.com")
    results["invitation"] = second.pk == first.pk
    print(json.dumps(results))
    """
)


@pytest.mark.integration
def test_a_duplicate_in_the_embedded_sqlite_mode_gives_the_same_form_error_as_on_postgresql(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    completed = subprocess.run(
        [sys.executable, "-c", EMBEDDED_SCRIPT],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    assert results == {"standard": ["code"], "team": ["name"], "invitation": True}
