"""Reads scoped to the acting membership. Every object a view shows comes through a selector here."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.models import Membership, ServiceStandard


def standards_for_home(*, membership: Membership) -> QuerySet[ServiceStandard]:
    """The active standards of the member's organization, in their display order."""
    return ServiceStandard.objects.of_organization(membership.organization_id).filter(is_active=True)
