"""The demo's follow-ups: people at each stage after the New starter essentials program.

Run after `enrollments.demo` (whose completions are backdated): the engine plans from the completion
events as beat would have, then Tomás Rivera (done 15 days ago) has written how his practice task
went, so his manager Luis Ortega has a reflection to reply to and an observation due; Priya
Natarajan (done 3 days ago) has her first refresher due; Daniel Yazzie (done yesterday) gets his
tomorrow. `manage.py notifications_run --now …` shows them arriving (README.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from followups import services
from followups.models import FollowUp, StepKind
from organizations.demo import DemoOrganization

REFLECTING = "tomas.rivera"
REFLECTION = (
    "Tried it with three customers picking up repairs: I walked them through what we did and showed the "
    "worn part. Two of them booked their next tune-up on the spot."
)


def seed_demo_followups(*, demo: DemoOrganization, now: datetime | None = None) -> int:
    """Plan the demo's follow-ups and write Tomás's reflection; returns how many completion events were used."""
    now = now or timezone.now()
    used = 0
    while count := services.followups_consume_completions(now=now):
        used += count
    employees = {membership.user.email.split("@")[0]: membership for membership in demo.employees}
    practice = FollowUp.objects.filter(membership=employees[REFLECTING], kind=StepKind.PRACTICE, reflection="").first()
    if practice is not None:
        written = practice.due_at + timedelta(hours=6)
        services.practice_reflect(followup=practice, actor=employees[REFLECTING], reflection=REFLECTION, now=written)
    return used
