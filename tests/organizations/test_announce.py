"""`manage.py announce`: `make run`'s address and demo sign-ins, printed only once web, worker and beat
answer, and a process that stops with status 0 when honcho or Ctrl-C stops it.

The real thing (runserver, a Celery worker and beat under honcho) is exercised by the smoke test of
`make run` in .ci/run; these tests pin the waiting logic and the exit status.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command

from organizations import demo
from organizations.management.commands import announce

URL = "http://127.0.0.1:8123/"


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(announce, "POLL_SECONDS", 0)


def scripted(monkeypatch, *, web: list[bool], celery: list[set[str]]) -> dict[str, int]:
    """Make web and Celery answer as scripted, one answer per poll (the last one repeats)."""
    calls = {"web": 0, "celery": 0}

    def web_answers(url: str) -> bool:
        assert url == URL
        calls["web"] += 1
        return web[min(calls["web"], len(web)) - 1]

    def celery_nodes_answering() -> set[str]:
        calls["celery"] += 1
        return celery[min(calls["celery"], len(celery)) - 1]

    monkeypatch.setattr(announce, "web_answers", web_answers)
    monkeypatch.setattr(announce, "celery_nodes_answering", celery_nodes_answering)
    return calls


def test_it_waits_for_web_then_worker_and_beat_and_then_prints_the_address_and_sign_ins(
    db, monkeypatch, no_pause
):
    # given: the demo people exist; web answers on the 3rd poll, the worker and beat after that
    demo.seed_demo_organization()
    calls = scripted(
        monkeypatch,
        web=[False, False, True],
        celery=[set(), {"worker"}, {"beat"}, {"worker", "beat"}],
    )
    out = io.StringIO()

    # when
    call_command("announce", URL, stdout=out)

    # then: nothing announced before all three answered, then the address and every demo sign-in
    assert calls == {"web": 6, "celery": 4}
    output = out.getvalue()
    assert f"ServiceCraft is up at {URL}" in output
    assert f"Sign in at: {settings.SITE_URL}/accounts/login/" in output
    assert demo.DEMO_PASSWORD in output
    assert "maya.okafor@switchbackcycles.example" in output and "(admin)" in output
    lines = output.splitlines()
    assert lines.index(next(line for line in lines if "ServiceCraft is up" in line)) < lines.index(
        next(line for line in lines if demo.DEMO_PASSWORD in line)
    )


def test_it_says_what_it_still_waits_for(db, monkeypatch, no_pause):
    scripted(monkeypatch, web=[True], celery=[{"worker"}, {"worker"}, {"worker", "beat"}])
    clock = iter([0, 0, 31, 31, 62, 62, 62, 62])
    monkeypatch.setattr(announce, "monotonic", lambda: next(clock))
    out = io.StringIO()

    call_command("announce", URL, stdout=out)

    assert "Still waiting for beat to answer (31 s so far)" in out.getvalue()


def test_without_demo_people_it_prints_the_address_alone(db, monkeypatch, no_pause):
    scripted(monkeypatch, web=[True], celery=[{"worker", "beat"}])
    out = io.StringIO()

    call_command("announce", URL, stdout=out)

    assert f"ServiceCraft is up at {URL}" in out.getvalue()
    assert demo.DEMO_PASSWORD not in out.getvalue()


def test_the_web_check_is_healthz(monkeypatch):
    # given: nothing listens on this port
    assert announce.web_answers("http://127.0.0.1:9/") is False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "honcho"])
def test_a_stopped_announce_exits_with_status_0(signum):
    # given: announce under honcho (--stay), still waiting for a web process that never answers
    process = subprocess.Popen(
        [sys.executable, "manage.py", "announce", "http://127.0.0.1:9/", "--stay"],
        cwd=settings.BASE_DIR,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_line = process.stdout.readline()  # written once the signal handlers are in place
    assert first_line.startswith("Waiting for web, worker and beat to answer"), process.communicate()
    time.sleep(0.5)  # polling
    assert process.poll() is None, process.communicate()

    # when
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)

    # then: a clean stop, like web, worker and beat (.ci/run checks "announce.1 stopped (rc=0)")
    assert process.returncode == 0, stderr
    assert "ServiceCraft is up" not in stdout
    assert "Traceback" not in stderr


def test_the_web_address_must_be_http():
    with pytest.raises(ValueError, match="http"):
        announce.web_answers("file:///etc/passwd")
