"""The delivery ledger's guarantees (issue 10), proved with real processes.

Real PostgreSQL (the test database, committed rows so other processes see them), real Redis (the
suite's broker database, flushed by these tests), real `celery worker` and `celery beat` processes
(tests/celery_processes.py) and a real SMTP server in a thread of this process (tests/smtp_server.py)
that records every message it accepts by Message-ID. Each scenario counts what the SMTP server
received and what PostgreSQL recorded, exactly.

Worker processes don't see pytest fixtures, so the messages use a category the app registers itself:
`account` (organizations/emails.py), mandatory and without a relevance check. Leases and the beat
tick are made short through NOTIFICATIONS_LEASE_SECONDS and NOTIFICATIONS_TICK_SECONDS, the
retry backoff through NOTIFICATIONS_RETRY_SECONDS.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from notifications import tasks
from notifications.models import Message, MessageStatus
from notifications.services import Draft, messages_enqueue, notifications_dispatch
from organizations.emails import ACCOUNT
from tests.celery_processes import BeatProcess, CeleryProcess, WorkerProcess, queue_size, wait_for
from tests.smtp_server import RecordingHandler, smtp_server

pytestmark = pytest.mark.integration

QUEUE = "celery"  # the default queue: where beat's ticks and the dispatcher's batches go
TICK = "0.5"  # seconds between beat ticks
SHORT_LEASE = 10  # seconds: what a killed worker's or a flushed batch's messages wait before going out again
DELIVERY_TIMEOUT = 60.0


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """The suite's Redis database, empty before and after (the scenarios flush it on purpose)."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("The delivery guarantees are proved on Redis.")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class Delivery:
    """One scenario's world: the SMTP server, and the worker and beat processes pointed at it."""

    def __init__(self, smtp: RecordingHandler, port: int, log_dir: Path) -> None:
        self.smtp = smtp
        self.port = port
        self.log_dir = log_dir
        self.processes: list[CeleryProcess] = []
        self.lease = 60

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "NOTIFICATIONS_LEASE_SECONDS": str(self.lease),
            "NOTIFICATIONS_TICK_SECONDS": TICK,
            **extra,
        }

    def worker(self, *, concurrency: int = 2, **env: str) -> WorkerProcess:
        """Launch a prefork worker of `concurrency` processes on the default queue (not waited for)."""
        number = len(self.processes) + 1
        process = WorkerProcess(
            QUEUE, self.log_dir / f"worker-{number}.log", env=self.env(**env), pool="prefork",
            concurrency=concurrency, name=f"guarantees-{number}",
        )  # fmt: skip
        return self._launch(process)

    def beat(self, **env: str) -> BeatProcess:
        process = BeatProcess(self.log_dir / f"beat-{len(self.processes) + 1}.log", env=self.env(**env))
        return self._launch(process)

    def _launch(self, process):
        process.launch()
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        """Warm shutdown of every process still running: in-flight batches finish, counts become final."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {process.log_path.name}\n{process.log[-6000:]}" for process in self.processes)

    def wait_until_done(self, count: int, timeout: float = DELIVERY_TIMEOUT) -> None:
        """Until `count` messages are recorded as sent or failed and nothing is pending or claimed."""

        def done() -> bool:
            open_ = Message.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.CLAIMED]).count()
            return open_ == 0 and Message.objects.count() == count

        if not wait_for(done, timeout, interval=0.25):
            statuses = Counter(Message.objects.values_list("status", flat=True))
            pytest.fail(
                f"Not delivered within {timeout:.0f} s: {dict(statuses)}, {self.smtp.received()} received.\n"
                + self.logs()
            )


@pytest.fixture
def delivery(transactional_db, broker, tmp_path) -> Iterator[Delivery]:
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        world = Delivery(handler, port, tmp_path)
        try:
            yield world
        finally:
            # The processes hold database connections: gone before pytest-django flushes the database.
            world.stop_all()
            for process in world.processes:
                process.kill()


def enqueue(count: int, prefix: str = "m") -> list[str]:
    """`count` due messages of the `account` category, each to its own address; returns their dedup keys."""
    drafts = [
        Draft(
            dedup_key=f"{prefix}:{number}",
            category=ACCOUNT,
            to_email=f"{prefix}{number}@example.com",
            subject=f"Message {number}",
            body_text=f"Body of message {number}.",
            body_html=f"<p>Body of message {number}.</p>",
        )
        for number in range(count)
    ]
    assert messages_enqueue(drafts=drafts) == count
    return [draft.dedup_key for draft in drafts]


def assert_each_sent_exactly_once(smtp: RecordingHandler, count: int) -> None:
    assert Counter(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT: count}
    expected = dict(Message.objects.values_list("message_id", "to_email"))
    received = smtp.by_message_id()
    assert len(expected) == count
    assert set(received) == set(expected)
    assert [message_id for message_id, times in received.items() if times > 1] == []
    assert sorted(smtp.accepted) == sorted(expected.items())  # each to its own recipient


def test_two_thousand_due_messages_are_each_received_once(delivery):
    # given: 2,000 due messages, a worker of two processes and beat
    enqueue(2000)
    worker, beat = delivery.worker(), delivery.beat()
    worker.wait_ready()
    beat.wait_ready()

    # when: beat ticks and the worker sends
    started = time.monotonic()
    delivery.wait_until_done(2000)
    print(f"\n2,000 messages delivered {time.monotonic() - started:.1f} s after worker and beat were ready")
    delivery.stop_all()

    # then
    assert delivery.smtp.received() == 2000
    assert_each_sent_exactly_once(delivery.smtp, 2000)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_only_what_was_mid_send(delivery):
    # given: a short lease, 600 due messages (three batches: two sent at once, one waiting in Redis)
    delivery.lease = SHORT_LEASE
    total = 600
    enqueue(total)
    first, beat = delivery.worker(), delivery.beat()
    first.wait_ready()
    beat.wait_ready()

    # when: the worker's whole process group gets SIGKILL once some but not all messages arrived
    assert wait_for(lambda: delivery.smtp.received() >= 60, 30, interval=0.02), delivery.logs()
    pool = first.children()
    first.kill()
    received_at_kill = delivery.smtp.received()
    assert 0 < received_at_kill < total, "the kill must fall mid-run"
    killed_mid_send = len(pool)  # each pool process sends one email at a time
    # a new worker takes over; the killed batches' leases run out and the sweeper returns them
    delivery.worker().wait_ready()
    delivery.wait_until_done(total)
    delivery.stop_all()

    # then: every message delivered, and recorded as sent once
    smtp = delivery.smtp
    assert Counter(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT: total}
    expected = set(Message.objects.values_list("message_id", flat=True))
    received = smtp.by_message_id()
    assert set(received) == expected
    # duplicates only where the kill fell between the server's acceptance and the commit: at most one
    # per killed process, each accepted before the kill, and its row returned once by the sweeper
    duplicated = sorted(message_id for message_id, times in received.items() if times > 1)
    print(
        f"\nkill test: {received_at_kill} of {total} received when {killed_mid_send} pool processes (and their "
        f"parent) were killed; {len(duplicated)} duplicate(s): {duplicated}"
    )
    assert smtp.received() == total + len(duplicated)
    assert all(received[message_id] == 2 for message_id in duplicated)
    assert len(duplicated) <= killed_mid_send
    accepted_before_kill = {message_id for message_id, _ in smtp.accepted[:received_at_kill]}
    assert set(duplicated) <= accepted_before_kill
    assert set(Message.objects.filter(message_id__in=duplicated).values_list("attempts", flat=True)) <= {1}


def test_a_redis_flush_mid_run_loses_nothing_and_sends_nothing_twice(delivery, broker):
    # given: a worker, a short lease, 400 due messages claimed and queued as 20 batches in Redis
    delivery.lease = SHORT_LEASE
    total = 400
    delivery.worker().wait_ready()
    enqueue(total)
    with override_settings(NOTIFICATIONS_LEASE_SECONDS=SHORT_LEASE, NOTIFICATIONS_BATCH_SIZE=20):
        claim = notifications_dispatch()
    assert len(claim.batches) == 20
    beat = delivery.beat()

    # when: Redis loses everything while most batches are still queued
    assert wait_for(lambda: delivery.smtp.received() >= 40, 30, interval=0.02), delivery.logs()
    broker.flushdb()
    received_at_flush = delivery.smtp.received()
    assert received_at_flush < total, "the flush must fall mid-run"
    assert queue_size(QUEUE) == 0
    beat.wait_ready()

    # then: once the leases run out, the sweeper returns the lost batches' messages and they go out once
    delivery.wait_until_done(total, timeout=SHORT_LEASE + DELIVERY_TIMEOUT)
    delivery.stop_all()
    print(f"\nflush test: {received_at_flush} of {total} received when Redis was flushed")
    assert delivery.smtp.received() == total
    assert_each_sent_exactly_once(delivery.smtp, total)
    assert Message.objects.filter(attempts=1).exists()  # some did wait for their lease to run out


def test_two_beats_at_once_send_nothing_twice(delivery):
    # given: two beat processes ticking at once, and a worker
    worker, beats = delivery.worker(), [delivery.beat(), delivery.beat()]
    for process in (worker, *beats):
        process.wait_ready()

    # when: messages become due while both tick
    total = 400
    for part in range(8):
        enqueue(total // 8, prefix=f"p{part}-")
        time.sleep(0.3)
    delivery.wait_until_done(total)
    delivery.stop_all()

    # then: both beats ticked, several claims shared the work, and each message went out once
    for beat in beats:
        assert "Sending due task notifications-tick" in beat.log, beat.log
    claims = Message.objects.values("claim_token").distinct().count()
    print(f"\ntwo beats: {total} messages sent in {claims} claims")
    assert claims > 1
    assert delivery.smtp.received() == total
    assert_each_sent_exactly_once(delivery.smtp, total)


def _ledger() -> list[dict]:
    """Every field of every message: the ledger's whole state."""
    return list(Message.objects.order_by("pk").values())


def test_every_task_run_twice_gives_the_same_end_state(delivery):
    smtp = delivery.smtp
    smtp_settings = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": delivery.port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
    }
    with override_settings(**smtp_settings):
        # the tick: claims what is due and publishes its batches, once
        enqueue(30, prefix="tick")
        tasks.notifications_tick()
        after_first, published = _ledger(), queue_size(QUEUE)
        tasks.notifications_tick()
        assert (_ledger(), queue_size(QUEUE)) == (after_first, published)
        assert published == 1
        assert {state["status"] for state in after_first} == {MessageStatus.CLAIMED}

        # a batch (as if Redis redelivered its message): sent once
        token = Message.objects.values_list("claim_token", flat=True).first()
        ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
        assert tasks.notifications_send_batch(str(token), ids) == 30
        after_first, received = _ledger(), smtp.received()
        assert tasks.notifications_send_batch(str(token), ids) == 0
        assert (_ledger(), smtp.received()) == (after_first, received) == (after_first, 30)

        # send now (an invitation, a password reset): sent once
        keys = enqueue(5, prefix="now")
        assert tasks.notifications_send_now(keys) == 5
        after_first, received = _ledger(), smtp.received()
        assert tasks.notifications_send_now(keys) == 0
        assert (_ledger(), smtp.received()) == (after_first, received) == (after_first, 35)

    assert_each_sent_exactly_once(smtp, 35)


def test_a_4xx_is_retried_until_accepted_and_a_5xx_fails_at_once_with_the_servers_reply(delivery):
    # given: a server that answers 451 to the first two attempts at each "soft" address, 550 to "hard" ones
    def reply(recipient: str, attempt: int) -> str | None:
        if recipient.startswith("hard"):
            return "550 5.1.1 <hard> Mailbox unavailable"
        if attempt <= 2:
            return "451 4.3.0 Mailbox busy, try again later"
        return None

    delivery.smtp.reply = reply
    soft, hard = enqueue(20, prefix="soft"), enqueue(5, prefix="hard")
    worker, beat = delivery.worker(NOTIFICATIONS_RETRY_SECONDS="1"), delivery.beat()
    worker.wait_ready()
    beat.wait_ready()

    # when
    delivery.wait_until_done(len(soft) + len(hard))
    time.sleep(2 * float(TICK) + 1)  # a few more ticks: nothing failed may be tried again
    delivery.stop_all()

    # then: each soft message accepted once, on its third attempt, after two retries recorded in the ledger
    smtp = delivery.smtp
    sent = Message.objects.filter(dedup_key__in=soft)
    assert {(m.status, m.attempts, m.error) for m in sent} == {(MessageStatus.SENT, 2, "")}
    assert sorted(smtp.by_message_id().items()) == sorted((m.message_id, 1) for m in sent)
    assert all(smtp.attempts[m.message_id] == 3 for m in sent)
    # each hard one tried once and recorded as failed with the server's reply
    failed = Message.objects.filter(dedup_key__in=hard)
    assert {(m.status, m.attempts, m.error) for m in failed} == {
        (MessageStatus.FAILED, 1, "550 5.1.1 <hard> Mailbox unavailable")
    }
    assert all(smtp.attempts[m.message_id] == 1 for m in failed)
