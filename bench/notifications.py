"""Benchmark of the delivery ledger: claiming and enqueueing 100,000 due messages, and delivery to SMTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicecraft \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/notifications.py

(or `make bench`). In a throwaway database (`bench_notifications`, created, migrated and dropped at
the end like bench/course_player.py), on the Redis broker CELERY_BROKER_URL names (on a queue of its
own, deleted at the end), it measures:

- **claim and enqueue**: --claim (100,000) due messages in the ledger; the time of one
  `notifications_dispatch` (sweep, claim in one transaction, publish the batches of ids on commit)
  and the broker messages it produced (counted as published, and as the queue's length in Redis).
  Goals: at most 10 s and 500 broker messages. With the default NOTIFICATIONS_CLAIM_LIMIT (50,000 a
  tick) that takes two ticks: both are timed, then the same with the limit lifted for one dispatch.
- **end to end**: --emails (10,000) due messages, ONE `celery worker --concurrency 2` process
  (prefork: two pool processes) and a local SMTP sink (aiosmtpd in a thread of this process, which
  only counts): emails per second from the first claim (a dispatch in this process, as beat's tick
  would do) to the last message recorded as sent in PostgreSQL, and the CPU time spent per email by
  the worker and by the sink. Goal: at least 500 emails/s. --synchronous-commit measures the worker
  waiting for PostgreSQL's disk flush after each send (NOTIFICATIONS_SYNCHRONOUS_COMMIT).

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from course_player import throwaway_database  # noqa: E402

BENCH_DATABASE = "bench_notifications"
QUEUE = f"bench-notifications-{uuid.uuid4().hex[:8]}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claim", type=int, default=100_000, help="due messages to claim and enqueue")
    parser.add_argument("--emails", type=int, default=10_000, help="messages delivered end to end")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes of the one worker")
    parser.add_argument(
        "--synchronous-commit", action="store_true",
        help="the worker waits for PostgreSQL's disk flush after each send (NOTIFICATIONS_SYNCHRONOUS_COMMIT)",
    )  # fmt: skip
    return parser.parse_args()


def seed(count: int, prefix: str) -> float:
    """`count` due messages of the `account` category, each to its own address, about the size of a
    reminder (subject, a text part and an HTML part); returns the seconds it took."""
    from django.utils import timezone

    from notifications.services import Draft, messages_enqueue
    from organizations.emails import ACCOUNT

    due = timezone.now() - timedelta(minutes=1)
    text = "Your assignment is due soon. " * 12
    html = "<p>" + "Your assignment is <strong>due soon</strong>. " * 12 + '</p><p><a href="https://x.test/">Open</a></p>'
    started = time.perf_counter()
    for start in range(0, count, 10_000):
        drafts = [
            Draft(
                dedup_key=f"{prefix}:{number}", category=ACCOUNT, to_email=f"{prefix}{number}@example.com",
                subject=f"Reminder {number}: Serving guests well is due on Friday", body_text=text,
                body_html=html, not_before=due,
            )  # fmt: skip
            for number in range(start, min(count, start + 10_000))
        ]
        messages_enqueue(drafts=drafts, now=due)
    return time.perf_counter() - started


def bench_claim(count: int, redis_client) -> list[tuple[str, float, int, int, int]]:
    """Rows of (label, seconds, messages claimed, broker messages published, queue length)."""
    from celery.signals import before_task_publish
    from django.db import connection
    from django.test import override_settings

    from notifications.models import Message, MessageStatus
    from notifications.services import notifications_dispatch, setting

    published = []

    def count_publish(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(count_publish, weak=False)
    seeded = seed(count, "claim")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_message")
    print(f"  ({count:,} due messages stored in {seeded:.1f} s)")

    rows = []
    for label, limit in (
        (f"tick {{}} at the default limit ({setting('CLAIM_LIMIT'):,})", setting("CLAIM_LIMIT")),
        (f"one dispatch, limit lifted to {count:,}", count),
    ):
        Message.objects.update(status=MessageStatus.PENDING, claim_token=None, lease_expires_at=None)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_message")
        tick = 0
        with override_settings(NOTIFICATIONS_CLAIM_LIMIT=limit):
            while Message.objects.filter(status=MessageStatus.PENDING).exists():
                tick += 1
                published.clear()
                redis_client.delete(QUEUE)
                started = time.perf_counter()
                claim = notifications_dispatch()
                elapsed = time.perf_counter() - started
                rows.append((label.format(tick), elapsed, claim.count, len(published), redis_client.llen(QUEUE)))
    redis_client.delete(QUEUE)
    before_task_publish.disconnect(count_publish)
    return rows


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc), the ones that ended counting 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def bench_delivery(count: int, concurrency: int, synchronous_commit: bool) -> dict[str, float]:
    from django.db import connection

    from notifications.models import Message, MessageStatus
    from notifications.services import notifications_dispatch
    from tests.celery_processes import WorkerProcess, wait_for
    from tests.smtp_server import CountingHandler, smtp_server

    Message.objects.all().delete()
    seed(count, "send")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_message")
    sink = CountingHandler()
    with smtp_server(sink) as port, tempfile.TemporaryDirectory() as logs:
        worker = WorkerProcess(
            QUEUE, Path(logs) / "worker.log", pool="prefork", concurrency=concurrency,
            env={
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
                "NOTIFICATIONS_SYNCHRONOUS_COMMIT": "1" if synchronous_commit else "0",
            },
        )  # fmt: skip
        worker.start()
        try:
            # CPU time is counted too: with other work on the machine, wall time alone misleads.
            # (PostgreSQL's is not: each task opens a connection of its own, and its backend is gone after.)
            workers = [worker.process.pid, *worker.children()]
            before = [cpu_seconds(workers), time.process_time()]
            started = time.perf_counter()
            claim = notifications_dispatch()
            claimed = time.perf_counter() - started

            def all_sent() -> bool:
                return Message.objects.filter(status=MessageStatus.SENT).count() == count

            done = wait_for(all_sent, timeout=max(120, count / 50), interval=0.05)
            elapsed = time.perf_counter() - started
            after = [cpu_seconds(workers), time.process_time()]
            if not done:
                raise SystemExit(f"not all sent: {Message.objects.filter(status='sent').count()}\n{worker.log[-5000:]}")
        finally:
            worker.stop()
    spent = (1000 * (end - start) / count for start, end in zip(before, after, strict=True))
    worker_cpu, sink_cpu = spent
    return {
        "seconds": elapsed, "claim_seconds": claimed, "batches": len(claim.batches), "received": sink.count,
        "rate": count / elapsed, "worker_ms": worker_cpu, "sink_ms": sink_cpu,
        "load": os.getloadavg()[0],
    }  # fmt: skip


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    import redis
    from django.conf import settings

    from config.celery_app import app as celery_app

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise SystemExit("Set CELERY_BROKER_URL to a redis:// URL: the benchmark measures the Redis broker.")
    # The batches go to a queue of this run only: nothing else consumes them, and they are deleted after.
    celery_app.conf.task_default_queue = QUEUE
    redis_client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    with throwaway_database(BENCH_DATABASE) as server_version:
        cpu = platform.processor() or platform.machine()
        print("ServiceCraft delivery ledger benchmark")
        print(
            f"machine:  {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}"
        )
        print(f"database: PostgreSQL {server_version}, throwaway database {BENCH_DATABASE}; broker {QUEUE}")
        print()
        print(f"claim and enqueue {args.claim:,} due messages (goal: ≤ 10 s and ≤ 500 broker messages)")
        for label, seconds, claimed, published, queued in bench_claim(args.claim, redis_client):
            print(f"  {label:44}{seconds:>7.2f} s {claimed:>8,} claimed {published:>5} published {queued:>5} queued")
        print()
        print(
            f"end to end: {args.emails:,} messages, one worker (--concurrency {args.concurrency}), "
            f"local SMTP sink, synchronous commit {'on' if args.synchronous_commit else 'off'} "
            "(goal: ≥ 500 emails/s)"
        )
        result = bench_delivery(args.emails, args.concurrency, args.synchronous_commit)
        print(
            f"  first claim to last recorded send {result['seconds']:.1f} s: {result['rate']:.0f} emails/s "
            f"({result['batches']} batches, claimed in {result['claim_seconds']:.2f} s; "
            f"{result['received']:,} received by the sink)"
        )
        print(
            f"  CPU per email: worker {result['worker_ms']:.2f} ms, SMTP sink and this process "
            f"{result['sink_ms']:.2f} ms (load average {result['load']:.1f} at the end)"
        )
    redis_client.delete(QUEUE)


if __name__ == "__main__":
    main()
