"""Celery end to end: a real worker process, the real Redis broker, the real test database.

The worker runs as a subprocess (tests/celery_processes.py) against the test database pytest-django
created, listening on a queue of its own, so stray messages from other runs on the same Redis cannot
reach it and it cannot steal theirs. What a task did is observed where it matters: in PostgreSQL.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery_app import app as celery_app
from organizations.models import Invitation
from organizations.tasks import invitations_purge_stale
from tests import factories
from tests.celery_processes import WorkerProcess, queue_purge, queue_size, wait_for

TASK_EFFECT_TIMEOUT = 30.0


@pytest.fixture
def worker(transactional_db, tmp_path) -> Iterator[WorkerProcess]:
    """A real worker on a fresh private queue; stopped before the test database is flushed."""
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    queue_purge(queue)
    process = WorkerProcess(queue, tmp_path / "worker.log")
    process.start()
    yield process
    # The worker holds a database connection: it must be gone before the flush and any teardown.
    process.stop()
    queue_purge(queue)


def _stale_invitations(count: int) -> list[int]:
    organization = factories.OrganizationFactory()
    long_ago = timezone.now() - timedelta(days=200)
    return [
        factories.InvitationFactory(organization=organization, created_at=long_ago, expires_at=long_ago).pk
        for _ in range(count)
    ]


def _gone(ids: list[int]) -> Callable[[], bool]:
    return lambda: not Invitation.objects.filter(pk__in=ids).exists()


@pytest.mark.integration
def test_worker_runs_purge_task_from_the_broker_and_deletes_stale_invitations(worker):
    # given: three stale invitations, one still open and one accepted long ago
    stale = _stale_invitations(3)
    open_invitation = factories.InvitationFactory()
    long_ago = timezone.now() - timedelta(days=200)
    accepted = factories.InvitationFactory(expires_at=long_ago, accepted_at=long_ago)

    # when: the task goes through Redis to the worker process
    task_id = str(uuid.uuid4())
    invitations_purge_stale.apply_async(queue=worker.queue, task_id=task_id)

    # then: the worker deleted exactly the stale ones, in PostgreSQL
    if not wait_for(_gone(stale), TASK_EFFECT_TIMEOUT):
        pytest.fail(f"The stale invitations are still there after {TASK_EFFECT_TIMEOUT}s. Worker log:\n{worker.log}")
    assert Invitation.objects.filter(pk__in=[open_invitation.pk, accepted.pk]).count() == 2
    assert wait_for(lambda: f"[{task_id}] succeeded" in worker.log, 10), worker.log
    assert worker.stop() == 0, f"The worker did not shut down cleanly:\n{worker.log}"
    assert "Traceback" not in worker.log, worker.log


@pytest.mark.integration
def test_task_enqueued_in_a_rolled_back_transaction_never_reaches_the_broker(worker):
    # given: stale invitations, committed
    stale = _stale_invitations(2)

    # when: the task is enqueued on commit inside a transaction that is rolled back
    rolled_back_id = str(uuid.uuid4())
    with pytest.raises(RuntimeError), transaction.atomic():
        invitations_purge_stale.apply_async_on_commit(queue=worker.queue, task_id=rolled_back_id)
        assert queue_size(worker.queue) == 0  # nothing is published before the commit
        raise RuntimeError("roll back")

    # then: nothing was published, and the rows are untouched
    assert queue_size(worker.queue) == 0
    time.sleep(1)
    assert Invitation.objects.filter(pk__in=stale).count() == 2

    # when: the same is enqueued in a transaction that commits
    committed_id = str(uuid.uuid4())
    with transaction.atomic():
        invitations_purge_stale.apply_async_on_commit(queue=worker.queue, task_id=committed_id)
        assert queue_size(worker.queue) == 0

    # then: the committed one ran; the rolled-back one never reached the worker. The solo worker takes
    # messages in order, so had the rolled-back one been sent, it would have been received first.
    if not wait_for(_gone(stale), TASK_EFFECT_TIMEOUT):
        pytest.fail(f"The committed task did not run within {TASK_EFFECT_TIMEOUT}s. Worker log:\n{worker.log}")
    assert wait_for(lambda: f"[{committed_id}] succeeded" in worker.log, 10), worker.log
    assert rolled_back_id not in worker.log
    assert worker.log.count("Task organizations.tasks.invitations_purge_stale[") == 2  # received + succeeded


def test_celery_configuration_matches_the_design():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_soft_time_limit and conf.task_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    if conf.broker_url.startswith("redis"):
        # A message must not be redelivered to a second worker while the first may still run it.
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_beat_schedule_names_only_registered_tasks():
    celery_app.loader.import_default_modules()
    schedule = celery_app.conf.beat_schedule

    assert "purge-stale-invitations" in schedule
    for name, entry in schedule.items():
        assert entry["task"] in celery_app.tasks, f"beat entry {name!r} names an unknown task {entry['task']!r}"
        assert entry["schedule"], name
