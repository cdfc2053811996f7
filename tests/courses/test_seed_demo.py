"""`manage.py seed_demo` refuses production settings unless told explicitly: its people share a
published password, so on a real installation they would be accounts anyone can sign in to."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from organizations.models import Organization, User


def test_seed_demo_refuses_when_settings_forbid_it_and_creates_nothing(db, settings):
    settings.SEED_DEMO_ALLOWED = False

    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        call_command("seed_demo", stdout=io.StringIO())

    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_runs_under_production_settings_with_the_explicit_flag(db, settings):
    settings.SEED_DEMO_ALLOWED = False
    out = io.StringIO()

    call_command("seed_demo", "--i-know-this-is-production", stdout=out)

    assert Organization.objects.count() == 1
    assert "demo-password-2026" in out.getvalue()


def test_production_settings_forbid_seeding_and_the_command_says_so():
    # given: the environment of a deployment, with the real production settings module
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SITE_URL"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="example.com",
        SITE_URL="https://example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],  # refused before any query: the database is not touched
    )

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refuses to run under production settings" in result.stderr
    assert "--i-know-this-is-production" in result.stderr
    assert "demo-password-2026" not in result.stdout + result.stderr


def test_development_and_test_settings_allow_seeding():
    # make run seeds the demo under config.settings.local; the suite runs under config.settings.test
    assert settings.SEED_DEMO_ALLOWED is True


def test_make_run_seeds_without_listing_the_sign_ins_which_announce_prints_last(db):
    out = io.StringIO()

    call_command("seed_demo", "--no-sign-ins", stdout=out)

    assert Organization.objects.count() == 1
    assert "Switchback Cycles" in out.getvalue()
    assert "demo-password-2026" not in out.getvalue()
