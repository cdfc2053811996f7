"""Celery tasks of the organizations app: thin wrappers that load by id and call a service."""

from celery import shared_task


@shared_task
def invitations_purge_stale() -> int:
    """Delete invitations that expired long ago without being accepted (housekeeping)."""
    from organizations.services import invitations_purge_stale as purge

    return purge()
