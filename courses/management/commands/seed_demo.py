"""`manage.py seed_demo`: a demo organization to explore the product with, safe to run again.

It lives in `courses`, the rightmost app the demo needs, because it may call into every app to its
left (organizations must not import courses).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from courses.demo import demo_courses_summary, seed_demo_courses
from organizations.demo import seed_demo_organization
from organizations.models import Membership, Role


def _role_label(membership: Membership) -> str:
    if membership.role == Role.MANAGER and membership.can_author:
        return "manager, may author courses"
    return membership.get_role_display().lower()


class Command(BaseCommand):
    help = "Create the demo organization (Switchback Cycles) and its people; running it again changes nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_confirmed",
            help="Seed even under production settings (the demo people's password is published).",
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

        status = "created" if demo.created else "already present, left unchanged"
        self.stdout.write(f"Demo organization “{demo.organization.name}”: {status}.")
        for line in demo_courses_summary():
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"  Sign in at: {settings.SITE_URL}{reverse('account_login')}")
        self.stdout.write(f"  Password for every demo person: {demo.password}")
        self.stdout.write("")
        width = max(len(m.user.email) for m in demo.people)
        for membership in demo.people:
            team = f", {membership.team.name}" if membership.team_id else ""
            self.stdout.write(
                f"  {membership.user.email:<{width}}  {membership.user.name} — {membership.job_title}"
                f" ({_role_label(membership)}{team})"
            )
        self.stdout.write("")
