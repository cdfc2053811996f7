"""Every model change ships with its migration."""

import pytest
from django.core.management import call_command


def test_no_model_change_is_missing_a_migration(db):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check exited with {exit_.code}: run makemigrations and commit it")
