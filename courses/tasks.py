"""Celery tasks of the courses app: thin wrappers that load by id and call a service."""

from celery import shared_task


@shared_task
def questions_import_run(job_id: int) -> None:
    """Write a large question import in batches (see courses.services.questions_import_job_run).

    Enqueued once the job's row has committed; a missing job (deleted meanwhile) is nothing to do.
    """
    from courses.services import questions_import_job_run
    from organizations.models import ImportJob

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is not None:
        questions_import_job_run(job=job)
