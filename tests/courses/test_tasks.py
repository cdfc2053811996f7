"""Large question imports run as Celery jobs: validated whole first, written in batches with progress.

The task runs eagerly in most tests (in this process, against the test database) and once through
Redis in a real worker process.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from courses import services
from courses.models import Course, CourseStatus, Question, QuestionKind
from courses.tasks import questions_import_run
from organizations.models import ImportJob, ImportJobKind, ImportJobStatus
from tests import factories
from tests.celery_processes import wait_for
from tests.config.test_celery_worker import TASK_EFFECT_TIMEOUT, worker  # noqa: F401 - fixture
from tests.conftest import client_for


def gift(count: int, *, start: int = 1) -> str:
    return "\n\n".join(f"::Q{i}:: Question {i}? {{=right ~wrong}}" for i in range(start, start + count))


@pytest.fixture
def course(acme):
    return factories.CourseFactory(organization=acme, title="Front desk basics")


def import_url(course) -> str:
    return reverse("courses:question_import", kwargs={"course_id": course.pk})


def job_url(job) -> str:
    return reverse("organizations:import_job", kwargs={"job_id": job.pk})


def test_a_large_import_becomes_a_job_and_the_task_writes_it_in_batches(
    alice, course, django_capture_on_commit_callbacks
):
    # given: more questions than the background threshold
    count = services.BACKGROUND_IMPORT_THRESHOLD + 1
    client = client_for(alice)

    # when: the author imports them
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(import_url(course), {"format": "gift", "text": gift(count)})

    # then: nothing is written yet; a job waits, enqueued once committed, and the author sees its page
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.kind, job.status, job.total, job.done) == (ImportJobKind.QUESTIONS, ImportJobStatus.PENDING, count, 0)
    assert len(callbacks) == 1
    assert not Question.objects.filter(course=course).exists()
    page = client.get(job_url(job)).content.decode()
    assert f'<progress max="{count}" value="0"' in page and "import-progress.js" in page

    # when: the task runs (eagerly, in this process)
    questions_import_run.apply(args=[job.pk]).get()

    # then: every question is there, in order, and the job is done
    job.refresh_from_db()
    assert (job.status, job.done, job.errors) == (ImportJobStatus.DONE, count, [])
    assert job.finished_at is not None
    assert list(Question.objects.filter(course=course).values_list("title", flat=True)) == [
        f"Q{i}" for i in range(1, count + 1)
    ]
    assert list(Question.objects.filter(course=course).values_list("order", flat=True)) == list(range(count))
    figures = json.loads(client.get(job_url(job) + "?format=json").content)
    assert figures == {
        "status": "done", "status_label": "Done", "done": count, "total": count, "percent": 100, "finished": True,
    }  # fmt: skip
    page = client.get(job_url(job)).content.decode()
    assert "import-progress.js" not in page
    assert reverse("courses:question_review", kwargs={"course_id": course.pk}) in page


def test_a_retried_task_resumes_after_the_last_committed_batch(alice, course):
    job = services.questions_import_start(course=course, actor=alice, fmt="gift", text=gift(120))
    # a worker wrote one batch and died
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING)
    services._questions_write(
        course=course,
        plan=services.questions_import_check(course=course, actor=alice, fmt="gift", text=gift(50)),
        planned=services.questions_import_check(course=course, actor=alice, fmt="gift", text=gift(50)).questions,
    )
    ImportJob.objects.filter(pk=job.pk).update(done=services.IMPORT_BATCH_SIZE)

    questions_import_run.apply(args=[job.pk]).get()
    questions_import_run.apply(args=[job.pk]).get()  # and a duplicate delivery changes nothing

    titles = list(Question.objects.filter(course=course).values_list("title", flat=True))
    assert titles == [f"Q{i}" for i in range(1, 121)]
    job.refresh_from_db()
    assert (job.status, job.done) == (ImportJobStatus.DONE, 120)


def test_a_job_stops_with_its_reason_when_the_course_is_published_meanwhile(alice, course):
    job = services.questions_import_start(course=course, actor=alice, fmt="gift", text=gift(5))
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.PUBLISHED)

    questions_import_run.apply(args=[job.pk]).get()

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "is published" in job.errors[0]
    assert not Question.objects.filter(course=course).exists()
    page = client_for(alice).get(job_url(job)).content.decode()
    assert "The import stopped" in page and "is published" in page


def test_a_file_with_errors_makes_no_job(alice, course):
    text = gift(services.BACKGROUND_IMPORT_THRESHOLD + 5) + "\n\nBroken {~a ~b}"
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": text})

    assert "No correct answer" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_progress_page_is_only_for_its_organization_and_its_author(alice, bob, charlie, course, acme):
    job = services.questions_import_start(course=course, actor=alice, fmt="gift", text=gift(3))

    assert client_for(alice).get(job_url(job)).status_code == 200
    assert client_for(charlie).get(job_url(job)).status_code == 404  # another organization
    assert client_for(bob).get(job_url(job) + "?format=json").status_code == 404  # not the admin, not the author


@pytest.mark.integration
def test_a_real_worker_runs_the_import_job_from_the_broker(worker, acme):  # noqa: F811
    # given: a committed job (as the import page makes it) and its author
    alice = factories.member(acme, "admin")
    course = factories.CourseFactory(organization=acme)
    job = ImportJob.objects.create(
        organization=acme, created_by=alice, kind=ImportJobKind.QUESTIONS, total=120,
        payload={"course_id": course.pk, "format": "gift", "text": gift(120)},
    )  # fmt: skip

    # when: the task goes through Redis to the worker process
    task_id = str(uuid.uuid4())
    questions_import_run.apply_async(args=[job.pk], queue=worker.queue, task_id=task_id)

    # then: the worker wrote every question and finished the job
    finished = lambda: ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.DONE  # noqa: E731
    if not wait_for(finished, TASK_EFFECT_TIMEOUT):
        pytest.fail(f"The job did not finish within {TASK_EFFECT_TIMEOUT}s. Worker log:\n{worker.log}")
    assert Question.objects.filter(course=course, kind=QuestionKind.SINGLE).count() == 120
    assert wait_for(lambda: f"[{task_id}] succeeded" in worker.log, 10), worker.log
    assert "Traceback" not in worker.log, worker.log
