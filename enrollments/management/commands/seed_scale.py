"""`manage.py seed_scale --employees N`: a synthetic organization at scale (see enrollments/scale.py)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from enrollments.scale import PASSWORD, seed_scale


class Command(BaseCommand):
    help = "Build a synthetic organization: N employees in teams of ~15, 10 programs, a year of enrollments."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--employees", type=int, required=True, help="how many employees (e.g. 5000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (the same seed builds the same data)")
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_confirmed",
            help="Seed even under production settings (the synthetic people's password is published).",
        )

    def handle(self, *args, **options) -> None:
        if not settings.SEED_DEMO_ALLOWED and not options["production_confirmed"]:
            raise CommandError(
                "seed_scale refuses to run under production settings: its accounts share a published password. "
                "Run it again with --i-know-this-is-production if you really mean it."
            )
        if options["employees"] < 1:
            raise CommandError("--employees must be at least 1.")
        started = time.perf_counter()
        scale = seed_scale(employees=options["employees"], seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Organization “{scale.organization.name}” ({scale.organization.slug}): {scale.employees} employees in "
            f"{scale.teams} teams, {scale.enrollments} enrollments, built in {elapsed:.1f} s."
        )
        self.stdout.write(
            f"Sign in as {scale.admin.user.email} (admin), {scale.manager.user.email} (manager) or "
            f"{scale.employee.user.email} (employee), password {PASSWORD}."
        )
