"""The demo's follow-ups (followups/demo.py, run by `manage.py seed_demo`) and README.md's demo command."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from followups.models import FollowUp, FollowUpStatus, StepKind
from organizations.demo import EMAIL_DOMAIN


def _of(local_part: str):
    return FollowUp.objects.filter(membership__user__email=f"{local_part}@{EMAIL_DOMAIN}")


def test_the_demo_has_people_at_each_stage_and_the_pipeline_sends_the_next_ones(db):
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()

    # a refresher due (Priya, done 3 days ago), a reflection waiting for a reply and an observation due (Tomás)
    assert _of("priya.natarajan").get(kind=StepKind.REFRESHER).due_at <= now
    practice = _of("tomas.rivera").get(kind=StepKind.PRACTICE)
    assert practice.reflection and not practice.reply and practice.status == FollowUpStatus.DONE
    assert _of("tomas.rivera").get(kind=StepKind.OBSERVATION, status=FollowUpStatus.PENDING).due_at <= now
    assert _of("daniel.yazzie").get(kind=StepKind.REFRESHER).due_at > now  # tomorrow

    # README.md: the demo command at 09:00 in Colorado tomorrow sends them (console backend in make run)
    tomorrow = (now + timedelta(days=1)).astimezone(UTC).date()
    call_command("notifications_run", now=f"{tomorrow.isoformat()}T16:00", stdout=io.StringIO())
    sent = {(email.to[0].split("@")[0], email.subject) for email in mail.outbox}
    assert ("priya.natarajan", "A 2-minute refresher on New starter essentials") in sent
    assert ("daniel.yazzie", "A 2-minute refresher on New starter essentials") in sent
    assert ("luis.ortega", "Observe Tomás Rivera: New starter essentials") in sent
    assert not any(to == "tomas.rivera" and subject.startswith("Try this") for to, subject in sent)  # done already
