"""Fixtures shared by the invitation, CSV import and account tests (imported by those modules)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from organizations.models import Invitation, Role, Team
from tests import factories


@pytest.fixture
def eager_celery():
    """Run tasks in-process when they are enqueued (after commit), so their emails land in mail.outbox."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def front_desk(acme, bob) -> Team:
    """Acme's front desk, managed by bob."""
    team = factories.TeamFactory(organization=acme, name="Front desk")
    team.managers.add(bob)
    return team


@pytest.fixture
def housekeeping(acme) -> Team:
    """An Acme team that bob does not manage."""
    return factories.TeamFactory(organization=acme, name="Housekeeping")


@pytest.fixture
def globex_team(globex) -> Team:
    return factories.TeamFactory(organization=globex, name="Checkout")


@pytest.fixture
def dave_invitation(acme, alice, front_desk) -> Invitation:
    """A pending invitation of dave to Acme's front desk, sent by alice."""
    return factories.InvitationFactory(
        organization=acme,
        email="dave@example.com",
        name="Dave Newcomer",
        role=Role.EMPLOYEE,
        team=front_desk,
        time_zone="America/New_York",
        invited_by=alice.user,
    )


def age(invitation: Invitation, *, days: int) -> Invitation:
    """Move the invitation `days` into the past (created and expiry dates), as if the clock had run."""
    invitation.created_at = timezone.now() - timedelta(days=days)
    invitation.expires_at = invitation.created_at + timedelta(days=7)
    invitation.save(update_fields=["created_at", "expires_at"])
    return invitation
