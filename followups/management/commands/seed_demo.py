"""`manage.py seed_demo`: a demo organization to explore the product with, safe to run again.

It lives in `followups`, the rightmost app the demo needs, because it calls into every app to its
left (organizations must not import courses, nor courses enrollments, nor enrollments followups).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from courses.demo import demo_courses_summary, seed_demo_courses
from courses.demo_content import PROGRAM
from courses.models import Program
from enrollments.demo import seed_demo_assignments
from followups.demo import seed_demo_followups
from organizations.demo import demo_sign_in_lines, seed_demo_organization


class Command(BaseCommand):
    help = "Create the demo organization (Switchback Cycles) and its people; running it again changes nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_confirmed",
            help="Seed even under production settings (the demo people's password is published).",
        )
        parser.add_argument(
            "--no-sign-ins",
            action="store_true",
            dest="no_sign_ins",
            help="Do not list how to sign in (`make run` prints it once web, worker and beat are up).",
        )

    def handle(self, *args, **options) -> None:
        if not settings.SEED_DEMO_ALLOWED and not options["production_confirmed"]:
            # Every demo person's password is printed here and in the README: on a real installation
            # these would be accounts anyone can sign in to.
            raise CommandError(
                "seed_demo refuses to run under production settings: it creates accounts whose password "
                "is published. If you really want them here, run it again with --i-know-this-is-production."
            )
        demo = seed_demo_organization()
        seed_demo_courses(organization=demo.organization, author=demo.author.user)
        program = Program.objects.get(organization=demo.organization, title=PROGRAM["title"])
        assigned = seed_demo_assignments(demo=demo, program=program)
        planned = seed_demo_followups(demo=demo)

        status = "created" if demo.created else "already present, left unchanged"
        self.stdout.write(f"Demo organization “{demo.organization.name}”: {status}.")
        for line in demo_courses_summary():
            self.stdout.write(line)
        if assigned:
            self.stdout.write(
                f"  Assigned “{program.title}” to both shops: some people done, some in progress, one overdue."
            )
        if planned:
            self.stdout.write(
                "  Follow-ups planned: a refresher due, a reflection waiting for a reply, an observation due."
            )
        if options["no_sign_ins"]:
            return
        self.stdout.write("")
        for line in demo_sign_in_lines(sign_in_url=f"{settings.SITE_URL}{reverse('account_login')}"):
            self.stdout.write(line)
        self.stdout.write("")
