"""Celery tasks of the organizations app: thin wrappers that load by id and call a service."""

from celery import shared_task


@shared_task
def invitations_purge_stale() -> int:
    """Delete invitations that expired long ago without being accepted (housekeeping)."""
    from organizations.services import invitations_purge_stale as purge

    return purge()


@shared_task
def invitations_import_run(job_id: int) -> None:
    """Write a large invitation import in batches (see services.invitations_import_job_run)."""
    from organizations.models import ImportJob
    from organizations.services import invitations_import_job_run

    job = ImportJob.objects.select_related("organization", "created_by__user").filter(pk=job_id).first()
    if job is not None:
        invitations_import_job_run(job=job)
