"""Real Celery processes for integration tests: `celery worker` and `celery beat` against the test database.

A process runs with the test settings, the database pytest-django created (test_<name>) and the
suite's Redis broker; its output goes to a log file the test can read and print on failure. Each is
started in a session of its own, so a test can kill a worker's whole process group (main process and
pool children) with SIGKILL, as a crashed machine or the OOM killer would, without touching pytest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
# Inherited settings that would make a test's process talk to something else than the test asked for.
_NOT_INHERITED = (
    "EMAIL_HOST", "EMAIL_PORT", "NOTIFICATIONS_LEASE_SECONDS", "NOTIFICATIONS_TICK_SECONDS",
    "NOTIFICATIONS_RETRY_SECONDS",
)  # fmt: skip


def database_url_for_processes() -> str:
    """A DATABASE_URL naming the database this test run uses (test_<name>), for another process."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(db.get("HOST") or "127.0.0.1", safe="")  # a socket directory is percent-encoded
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


def queue_size(queue: str) -> int:
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(queue=queue).message_count


def queue_purge(queue: str) -> None:
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class CeleryProcess:
    """A `celery` subprocess (worker or beat) of this test run; `ready_marker` in its log means it started."""

    ready_marker = ""

    def __init__(self, log_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.log_path = log_path
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.terminating = False

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def command(self) -> list[str]:
        raise NotImplementedError

    def launch(self) -> None:
        """Start the process without waiting for it (start several, then `wait_ready` on each)."""
        env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url_for_processes(),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                self.command(), cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_ready(self) -> None:
        ready = wait_for(lambda: self.ready_marker in self.log or self.process.poll() is not None, START_TIMEOUT)
        if not ready or self.process.poll() is not None:
            self.kill()
            pytest.fail(f"{self.__class__.__name__} did not become ready:\n{self.log}")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """Ask for a warm shutdown (SIGTERM, as a process manager sends it) without waiting for it."""
        if self.running and not self.terminating:
            self.process.send_signal(signal.SIGTERM)
            self.terminating = True

    def stop(self) -> int | None:
        """Warm shutdown: in-flight tasks finish; returns the exit code."""
        if not self.running:
            return self.process.returncode if self.process else None
        self.terminate()
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL to the whole process group: the main process and every pool child die at once."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)

    def children(self) -> list[int]:
        """Pids of the processes this one started (a prefork worker's pool processes)."""
        if not self.running:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


class WorkerProcess(CeleryProcess):
    """A `celery worker` consuming `queue` (a private one, or the default queue the product publishes to)."""

    ready_marker = " ready."

    def __init__(
        self, queue: str, log_path: Path, *, env: Mapping[str, str] | None = None, pool: str = "solo",
        concurrency: int = 1, name: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(log_path, env)
        self.queue = queue
        self.pool = pool
        self.concurrency = concurrency
        self.name = name or queue

    def command(self) -> list[str]:
        celery = Path(sys.executable).with_name("celery")
        return [
            str(celery), "-A", "config", "worker",
            f"--pool={self.pool}", f"--concurrency={self.concurrency}",
            "-Q", self.queue, "-n", f"{self.name}@%h",
            "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip


class BeatProcess(CeleryProcess):
    """A `celery beat` with a schedule file of its own (two of them may run at once)."""

    ready_marker = "beat: Starting..."

    def __init__(self, log_path: Path, *, env: Mapping[str, str] | None = None) -> None:
        super().__init__(log_path, env)
        self.schedule_path = log_path.with_suffix(".schedule")

    def command(self) -> list[str]:
        celery = Path(sys.executable).with_name("celery")
        return [str(celery), "-A", "config", "beat", "--loglevel=INFO", "-s", str(self.schedule_path)]
