"""Celery tasks of the organizations app: thin wrappers that load by id and call a service."""

import smtplib

from celery import shared_task

# Transient delivery failures: the SMTP server refused or dropped us, or the network did. The
# services record `sent_at` per invitation, so a retry never emails twice what already went out.
SMTP_RETRY_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
SMTP_RETRY_POLICY = {
    "autoretry_for": SMTP_RETRY_ERRORS,
    "retry_backoff": 30,  # 30 s, 60 s, 120 s, … up to 30 min: about 2 h of outage before giving up
    "retry_backoff_max": 30 * 60,
    "retry_jitter": False,  # Celery's "full" jitter may draw 0 s, i.e. an immediate retry
    "max_retries": 8,
}


@shared_task
def invitations_purge_stale() -> int:
    """Delete invitations that expired long ago without being accepted (housekeeping)."""
    from organizations.services import invitations_purge_stale as purge

    return purge()


@shared_task(**SMTP_RETRY_POLICY)
def invitation_send(invitation_id: int) -> bool:
    """Email one invitation (created or re-sent); enqueued only once its transaction has committed.

    A missing, accepted, revoked or already-sent invitation is skipped by the service.
    """
    from organizations.models import Invitation
    from organizations.services import invitation_send as send

    invitation = (
        Invitation.objects.select_related("organization", "team", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return False
    return send(invitation=invitation)


@shared_task(**SMTP_RETRY_POLICY)
def invitations_send_batch(invitation_ids: list[int]) -> int:
    """Email a batch of invitations from a CSV import over one SMTP connection; returns how many."""
    from organizations.models import Invitation
    from organizations.services import invitations_send

    invitations = (
        Invitation.objects.select_related("organization", "team", "invited_by")
        .filter(pk__in=invitation_ids)
        .order_by("pk")
    )
    return invitations_send(invitations=list(invitations))


@shared_task
def invitations_import_run(job_id: int) -> None:
    """Write a large invitation import in batches (see services.invitations_import_job_run)."""
    from organizations.models import ImportJob
    from organizations.services import invitations_import_job_run

    job = ImportJob.objects.select_related("organization", "created_by__user").filter(pk=job_id).first()
    if job is not None:
        invitations_import_job_run(job=job)
