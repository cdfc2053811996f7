"""`manage.py announce URL`: the last word of `make run`, printed once everything answers.

Run by honcho beside web, worker and beat (Procfile.dev). It waits until the web process answers
`/healthz` with 200 and the Celery worker and beat both answer a remote-control ping, then prints the
address and the demo sign-ins, so they are the last lines on the console rather than scrolled away by
the three processes' start-up logs. With `--stay` it then waits until it is stopped: honcho stops
every process as soon as one exits, so the announcement must outlive its own work. Ctrl-C (SIGINT)
and honcho's SIGTERM end it with status 0, like the others.
"""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from time import monotonic, sleep
from typing import NoReturn

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from organizations.demo import demo_sign_in_lines

POLL_SECONDS = 0.5
PING_TIMEOUT_SECONDS = 1.0
REMIND_EVERY_SECONDS = 30


def _stop(signum, frame) -> NoReturn:
    raise SystemExit(0)


def web_answers(url: str) -> bool:
    """Whether the web process at `url` answers /healthz with 200 (database and broker reachable)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"The web address must be an http(s) URL, not {url!r}.")
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=2) as response:  # noqa: S310 (scheme checked)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def celery_nodes_answering() -> set[str]:
    """The kinds of Celery node that answer a ping: "worker" and/or "beat" (beat's node is celerybeat@…)."""
    from config.celery_app import app

    replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS) or []
    names = {name for reply in replies for name in reply}
    return {"beat" if name.startswith("celerybeat@") else "worker" for name in names}


class Command(BaseCommand):
    help = "Wait until web, worker and beat answer, then print the address and the demo sign-ins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", help="The address the web process listens on, e.g. http://127.0.0.1:8000/")
        parser.add_argument(
            "--stay", action="store_true", help="Keep running until stopped (honcho stops all when one exits)."
        )

    def handle(self, *args, url: str, stay: bool, **options) -> None:
        if stay:
            # Under honcho: Ctrl-C (SIGINT to the whole group) and honcho's SIGTERM, at any moment,
            # end this process with status 0 like the others.
            signal.signal(signal.SIGINT, _stop)
            signal.signal(signal.SIGTERM, _stop)
        self.stdout.write("Waiting for web, worker and beat to answer…")
        self.stdout.flush()
        self.wait_until_up(url)
        self.announce(url)
        while stay:
            signal.pause()

    def wait_until_up(self, url: str) -> None:
        started = reminded = monotonic()
        missing = ["web", "worker", "beat"]
        while True:
            missing = [] if web_answers(url) else ["web"]
            if not missing:
                answering = celery_nodes_answering()
                missing = [kind for kind in ("worker", "beat") if kind not in answering]
            if not missing:
                return
            if monotonic() - reminded >= REMIND_EVERY_SECONDS:
                reminded = monotonic()
                waited = round(reminded - started)
                self.stdout.write(f"Still waiting for {' and '.join(missing)} to answer ({waited} s so far)…")
                self.stdout.flush()
            sleep(POLL_SECONDS)

    def announce(self, url: str) -> None:
        lines = [
            "",
            f"  ServiceCraft is up at {url}  (web, worker and beat answer; Ctrl-C stops them all)",
            "",
            *demo_sign_in_lines(sign_in_url=f"{settings.SITE_URL}{reverse('account_login')}"),
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
