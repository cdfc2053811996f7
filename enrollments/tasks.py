"""Celery tasks of the enrollments app: thin wrappers that load by id and call a service."""

from celery import shared_task


@shared_task
def assignment_job_run(job_id: int) -> None:
    """Enroll a large assignment's audience in batches (see enrollments.services.assignment_job_run).

    Enqueued once the job's row has committed; a missing job is nothing to do.
    """
    from enrollments.services import assignment_job_run as run
    from organizations.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        run(job=job)


@shared_task
def enrollments_reconcile() -> int:
    """Beat, every minute: enroll the people standing assignments reach (see the service)."""
    from enrollments.services import enrollments_reconcile as reconcile

    return reconcile()


@shared_task
def enrollments_recertify() -> int:
    """Beat, every hour: renew the completions that expire within 30 days (see the service)."""
    from enrollments.services import enrollments_recertify as recertify

    return recertify()
