"""Writes with business meaning for organizations, people, standards and invitations."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from organizations.models import Invitation

STALE_INVITATION_AGE = timedelta(days=90)


def invitations_purge_stale(*, now=None) -> int:
    """Delete never-accepted invitations that expired more than 90 days ago; returns how many.

    Accepted invitations are kept: they record who invited whom.
    """
    now = now or timezone.now()
    deleted, _ = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=now - STALE_INVITATION_AGE
    ).delete()
    return deleted
