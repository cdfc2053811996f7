"""The load test's smoke version: bench/load_test.py for 10 seconds, in the suite.

Ten employees, each with their own account and session, read lessons, mark them done and submit
knowledge checks against the product on gunicorn (production settings, DEBUG off, two sync workers)
on the test database; every response must be the one the product promises, and the database must
hold exactly what the clients were told happened: nothing lost, nothing doubled. The full version
(50 employees for 60 s) and its figures are in bench/README.md.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from django.db import connection

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import load_test  # noqa: E402
from serving import forget_cached_sessions  # noqa: E402

PEOPLE = 10
SECONDS = 10


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)  # the gunicorn workers must see the data: committed, flushed after
def test_employees_under_load_lose_nothing_and_double_nothing(settings, tmp_path):
    # given: the key the workers sign and check sessions with (production refuses a short one)
    settings.SECRET_KEY = secrets.token_urlsafe(60)
    people, plans = load_test.seed(PEOPLE)
    log = tmp_path / "gunicorn.log"

    # when
    try:
        with load_test.served(
            database_name=connection.settings_dict["NAME"], workers=2, log=log, secret_key=settings.SECRET_KEY
        ) as base_url:
            report = load_test.load(base_url=base_url, people=people, plans=plans, seconds=SECONDS)
    finally:
        forget_cached_sessions([person.cookie for person in people], settings.CELERY_BROKER_URL)

    # then
    print("\n".join(report.lines()))
    assert report.tally.errors == [], log.read_text()[-3000:]
    assert report.clients == report.database
    assert report.clients.lesson_completions > 0 and report.clients.submitted_attempts > 0  # not vacuous
