"""Assignment reminders, escalation, skip level, new-assignment notices and the weekly digest.

Against PostgreSQL, through the whole pipeline (`tests.mailbox.deliver(now)`: the planners, then claim
and send), with the clock moved explicitly. Acme's people: carol works at the front desk (Paris), bob
manages it and belongs to the management team, which dave manages; erin is carol's colleague in New
York. Acme keeps the default policy: first reminder 3 days ahead, the team manager told after 3 days
overdue, skip level after 7, 08:00-18:00 Monday to Friday, at most 3 reminder emails a day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enrollments import reminders
from enrollments import services as enrollment_services
from enrollments.models import AssignmentAudience, Enrollment
from enrollments.services import reminders as reminders_service
from enrollments.services.reminders import reminders_plan
from notifications import services as ledger
from notifications.models import OPTED_OUT_REASON, Message, MessageStatus
from organizations.models import Role
from tests import factories
from tests.mailbox import deliver

ASSIGNED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
DUE = date(2026, 12, 10)  # a Thursday
DIGEST = "Your teams this week"


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def course(acme):
    return factories.published_course(acme, lessons=1, questions=0, title="Greeting guests")


@pytest.fixture
def dave(acme, bob):
    """Dave manages the management team, which bob belongs to: bob's manager, carol's skip level."""
    dave = factories.member(acme, Role.MANAGER, user__email="dave@acme.test", user__name="Dave Director")
    management = factories.TeamFactory(organization=acme, name="Management")
    management.managers.add(dave)
    bob.team = management
    bob.save(update_fields=["team"])
    return dave


@pytest.fixture
def erin(acme, front_desk):
    return factories.member(
        acme, team=front_desk, user__email="erin@acme.test", user__name="Erin Employee",
        user__time_zone="America/New_York",
    )


def assign(people, *, course, actor, due_on=DUE, now=ASSIGNED):
    return enrollment_services.assignment_create(
        actor=actor, course=course, audience=AssignmentAudience.PEOPLE, people=people, due_on=due_on, now=now
    ).assignment


def inbox(now: datetime, *, digests: bool = False) -> dict[str, list[str]]:
    """What the pipeline sends at `now`: recipient -> subjects (weekly digests left out unless asked)."""
    mail.outbox.clear()
    deliver(now)
    sent: dict[str, list[str]] = defaultdict(list)
    for email in mail.outbox:
        if digests or not email.subject.startswith(DIGEST):
            sent[email.to[0]].append(email.subject)
    return dict(sent)


def digests(now: datetime) -> dict[str, list[str]]:
    sent = inbox(now, digests=True)
    return {to: found for to, subjects in sent.items() if (found := [s for s in subjects if s.startswith(DIGEST)])}


def message(prefix: str) -> Message:
    return Message.objects.get(dedup_key__startswith=prefix)


# --- Timing ------------------------------------------------------------------------------------------


def test_due_soon_due_today_overdue_escalation_and_skip_level_each_arrive_once_on_their_day(
    alice, bob, carol, dave, front_desk, course
):
    assign([carol], course=course, actor=bob)

    assert inbox(ASSIGNED) == {"carol@acme.test": ["New assignment: Greeting guests, due Thursday 10 December"]}
    assert inbox(at(6, 12)) == {}  # a Sunday: nothing is due yet
    # planned at midnight in Paris, held until the window opens at 08:00 there (07:00 UTC)
    assert inbox(at(7, 6, 59)) == {}
    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due Thursday 10 December: Greeting guests"]}
    assert inbox(at(8, 7)) == {}
    assert inbox(at(10, 7)) == {"carol@acme.test": ["Due today: Greeting guests"]}
    assert inbox(at(11, 7)) == {
        "carol@acme.test": ["Overdue: Greeting guests was due Thursday 10 December"]
    }
    # three days overdue at the end of Sunday 13 December: bob hears of it on Monday morning
    assert inbox(at(13, 23, 30)) == {}
    assert inbox(at(14, 7)) == {
        "bob@acme.test": ["Overdue: Carol Employee has not finished Greeting guests (due Thursday 10 December)"]
    }
    # seven days overdue at the end of Thursday 17: dave, the manager of bob's team, on Friday
    assert inbox(at(17, 12)) == {}
    assert inbox(at(18, 7)) == {
        "dave@acme.test": ["Still overdue: Carol Employee has not finished Greeting guests (due Thursday 10 December)"]
    }
    assert inbox(at(25, 7)) == {}

    skip = message(f"{reminders.ESCALATION}:{reminders.SKIP_LEVEL}:")
    assert "Bob Manager heard about it earlier" in skip.body_text
    assert "8 days overdue" in skip.body_text
    assert skip.tenant_id == carol.organization_id
    assert Message.objects.filter(category=reminders.REMINDER).count() == 3
    assert Message.objects.filter(category=reminders.ESCALATION).count() == 2


def test_planning_twice_plans_once_and_a_changed_due_date_plans_anew(alice, bob, carol, front_desk, course):
    assign([carol], course=course, actor=bob)
    first = reminders_plan(now=at(7, 6))
    again = reminders_plan(now=at(7, 6, 1))
    assert (first, again) == (2, 0)  # carol's due-soon reminder and bob's Monday digest

    # a second assignment brings the due date forward to Wednesday 9
    assign([carol], course=course, actor=alice, due_on=date(2026, 12, 9), now=at(7, 6, 30))

    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due Wednesday 9 December: Greeting guests"]}
    old = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get().pk}:2026-12-10")
    assert old.status == MessageStatus.SKIPPED
    assert old.skip_reason == "The due date changed to 2026-12-09; the reminders follow the new date."
    new = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get().pk}:2026-12-09")
    assert new.status == MessageStatus.SENT


def test_completing_before_the_send_skips_the_reminder_with_the_reason(bob, carol, front_desk, course):
    assign([carol], course=course, actor=bob)
    reminders_plan(now=at(7, 6))  # planned, waiting for the window

    enrollment_services.lesson_complete(membership=carol, lesson=course.lessons.get())

    assert Enrollment.objects.get().completed_at is not None
    assert inbox(at(7, 7)) == {}
    due_soon = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:")
    assert (due_soon.status, due_soon.skip_reason) == (MessageStatus.SKIPPED, "The assignment was completed.")
    assert inbox(at(10, 7)) == {}  # and nothing more is planned


def test_cancelling_before_the_send_skips_it_with_the_reason(bob, carol, front_desk, course):
    assignment = assign([carol], course=course, actor=bob)
    reminders_plan(now=at(7, 6))

    enrollment_services.assignment_cancel(actor=bob, assignment=assignment, now=at(7, 6, 30))

    assert inbox(at(7, 7)) == {}
    due_soon = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:")
    assert (due_soon.status, due_soon.skip_reason) == (MessageStatus.SKIPPED, "The enrollment was cancelled.")


def test_a_cancelled_assignment_stops_the_reminders_of_people_who_had_started(bob, carol, front_desk, acme):
    course = factories.published_course(acme, lessons=2, questions=0, title="Two lessons")
    assignment = assign([carol], course=course, actor=bob)
    enrollment_services.lesson_complete(membership=carol, lesson=course.lessons.order_by("order").first())
    reminders_plan(now=at(7, 6))

    enrollment_services.assignment_cancel(actor=bob, assignment=assignment, now=at(7, 6, 30))

    assert Enrollment.objects.get().cancelled_at is None  # she keeps her enrollment and progress
    assert inbox(at(7, 7)) == {}
    assert message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:").skip_reason == "The assignment was cancelled."


def test_a_person_who_left_gets_nothing_more(bob, carol, front_desk, course):
    assign([carol], course=course, actor=bob)
    reminders_plan(now=at(7, 6))

    carol.is_active = False
    carol.save(update_fields=["is_active"])

    assert inbox(at(7, 7)) == {}
    assert message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:").skip_reason == (
        "Carol Employee is no longer an active member of the organization."
    )
    assert inbox(at(11, 7)) == {}
    assert inbox(at(14, 7)) == {}  # nor does her manager hear of it


# --- Sending window, time zones, daylight saving ------------------------------------------------------


def test_the_window_is_read_in_each_recipients_own_time_zone(bob, carol, erin, front_desk, course):
    assign([carol, erin], course=course, actor=bob)

    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due Thursday 10 December: Greeting guests"]}
    assert inbox(at(7, 12, 59)) == {}  # 07:59 in New York
    assert inbox(at(7, 13)) == {"erin@acme.test": ["Due Thursday 10 December: Greeting guests"]}
    # the message keeps the recipient's zone, which the worker reads the window in
    assert message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get(membership=erin).pk}:") \
        .time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("zone", "assigned", "planned", "before_opening", "opening"),
    [
        # Paris leaves summer time on Sunday 25 October 2026: 08:00 on Monday 26 is 07:00 UTC, not 06:00
        ("Europe/Paris", datetime(2026, 10, 23, 10, tzinfo=UTC), datetime(2026, 10, 24, 12, tzinfo=UTC),
         datetime(2026, 10, 26, 6, 59, tzinfo=UTC), datetime(2026, 10, 26, 7, tzinfo=UTC)),
        # New York on Sunday 1 November: 08:00 on Monday 2 is 13:00 UTC, not 12:00
        ("America/New_York", datetime(2026, 10, 30, 14, tzinfo=UTC), datetime(2026, 10, 31, 18, tzinfo=UTC),
         datetime(2026, 11, 2, 12, 59, tzinfo=UTC), datetime(2026, 11, 2, 13, tzinfo=UTC)),
    ],
)
def test_a_reminder_held_over_a_daylight_saving_change_opens_at_8_local(
    bob, carol, front_desk, course, zone, assigned, planned, before_opening, opening
):
    carol.user.time_zone = zone
    carol.user.save(update_fields=["time_zone"])
    due_on = opening.date().replace(day=opening.day + 1)  # due on the Tuesday
    assign([carol], course=course, actor=bob, due_on=due_on, now=assigned)

    reminders_plan(now=planned)  # a Saturday, in summer time: the reminder waits for Monday
    due_soon = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:")

    assert due_soon.not_before == opening
    assert inbox(before_opening) == {}
    assert list(inbox(opening)) == ["carol@acme.test"]


def test_a_due_soon_reminder_the_window_could_only_deliver_on_the_due_date_is_left_to_the_due_today_one(
    bob, carol, front_desk, course
):
    # due Monday 7: the due-soon stage falls on the weekend, outside the window
    assign([carol], course=course, actor=bob, due_on=date(2026, 12, 7), now=at(3, 9))

    assert inbox(at(5, 12)) == {}
    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due today: Greeting guests"]}
    assert not Message.objects.filter(dedup_key__contains=reminders.DUE_SOON).exists()


# --- Daily cap and combining -----------------------------------------------------------------------


def test_several_reminders_due_at_once_are_one_email(bob, carol, front_desk, acme):
    for title in ("Greeting guests", "Handling complaints", "Checking out"):
        assign([carol], course=factories.published_course(acme, lessons=1, questions=0, title=title), actor=bob)

    result = ledger.notifications_run(now=at(7, 7))

    (email,) = [email for email in mail.outbox if email.to == ["carol@acme.test"]]
    assert email.subject == "3 reminders: Due Thursday 10 December: Greeting guests and 2 more"
    for title in ("Greeting guests", "Handling complaints", "Checking out"):
        assert title in email.body
    assert result.sent - result.emails >= 2  # three messages in one email
    assert set(Message.objects.filter(recipient=carol.user, category=reminders.REMINDER)
               .values_list("message_id", flat=True)) == {email.extra_headers["Message-ID"]}


def test_the_daily_cap_holds_the_next_reminder_until_the_next_day(bob, carol, front_desk, acme, course):
    acme.daily_reminder_cap = 1
    acme.save(update_fields=["daily_reminder_cap"])
    assign([carol], course=course, actor=bob)
    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due Thursday 10 December: Greeting guests"]}

    # later that day another course, due Wednesday 9: its reminder is the second of the day
    other = factories.published_course(acme, lessons=1, questions=0, title="Handling complaints")
    assign([carol], course=other, actor=bob, due_on=date(2026, 12, 9), now=at(7, 10))

    assert inbox(at(7, 10)) == {"carol@acme.test": ["New assignment: Handling complaints, due Wednesday 9 December"]}
    held = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get(course=other).pk}:")
    assert held.status == MessageStatus.PENDING
    assert held.not_before == at(8, 7)  # Tuesday 08:00 in Paris
    assert inbox(at(8, 7)) == {"carol@acme.test": ["Due Wednesday 9 December: Handling complaints"]}


# --- Preferences ---------------------------------------------------------------------------------------


def test_turning_new_assignment_mail_off_still_delivers_the_mandatory_reminder(bob, carol, front_desk, course):
    ledger.email_opt_out_set(user_id=carol.user_id, category=reminders.NEW_ASSIGNMENT, enabled=False)
    with pytest.raises(ValueError):
        ledger.email_opt_out_set(user_id=carol.user_id, category=reminders.REMINDER, enabled=False)
    assign([carol], course=course, actor=bob)

    assert inbox(ASSIGNED) == {}
    notice = message(f"{reminders.NEW_ASSIGNMENT}:")
    assert (notice.status, notice.skip_reason) == (MessageStatus.SKIPPED, OPTED_OUT_REASON)
    assert notice in Message.objects.in_app_for(carol.user_id, ASSIGNED)  # still in the app
    assert inbox(at(7, 7)) == {"carol@acme.test": ["Due Thursday 10 December: Greeting guests"]}


def test_one_click_unsubscribe_from_new_assignments_leaves_the_reminders_coming(
    acme, bob, carol, front_desk, course
):
    assign([carol], course=course, actor=bob, due_on=date(2026, 12, 4))
    deliver(ASSIGNED)
    (notice,) = [email for email in mail.outbox if email.to == ["carol@acme.test"]]
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # the mail client's one-click button: a POST to the header's link, no session, no CSRF token
    link = notice.extra_headers["List-Unsubscribe"].strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        link.removeprefix(settings.SITE_URL), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    other = factories.published_course(acme, lessons=1, questions=0, title="Handling complaints")
    assign([carol], course=other, actor=bob, due_on=date(2026, 12, 9), now=at(1, 7))

    mail.outbox.clear()
    deliver(at(1, 7))
    (reminder,) = [email for email in mail.outbox if email.to == ["carol@acme.test"]]
    assert reminder.subject == "Due Friday 4 December: Greeting guests"  # mandatory: no unsubscribe link
    assert "List-Unsubscribe" not in reminder.extra_headers
    assert message(f"{reminders.NEW_ASSIGNMENT}:{Enrollment.objects.get(course=other).pk}:").skip_reason == (
        OPTED_OUT_REASON
    )


# --- Links ---------------------------------------------------------------------------------------------


def test_each_email_links_straight_to_the_item_through_sign_in(bob, carol, dave, front_desk, course):
    assign([carol], course=course, actor=bob)
    deliver(at(7, 7))
    deliver(at(14, 7))

    path = f"/learn/courses/{course.pk}/"
    reminder = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:")
    assert reminder.url == path
    assert f"{settings.SITE_URL}{path}" in reminder.body_text
    assert f'href="{settings.SITE_URL}{path}"' in reminder.body_html
    signed_out = Client().get(path)
    assert signed_out.status_code == 302
    assert signed_out["Location"].endswith(f"?next={path}")

    escalation = message(f"{reminders.ESCALATION}:{reminders.MANAGER}:")
    assert escalation.url == f"/team/people/{carol.pk}/"
    assert f"{settings.SITE_URL}/team/people/{carol.pk}/" in escalation.body_text


def test_a_program_enrollment_links_to_its_card_on_the_home_page(bob, carol, front_desk, acme):
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    factories.ProgramCourseFactory(program=program, course=factories.published_course(acme, title="One"), order=0)
    enrollment_services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_on=DUE, now=ASSIGNED
    )
    deliver(at(7, 7))

    enrollment = Enrollment.objects.get()
    assert message(f"{reminders.REMINDER}:").url == f"/#enrollment-{enrollment.pk}"


# --- Escalation edge cases ------------------------------------------------------------------------------


def test_skip_level_never_goes_back_to_the_manager_already_told(acme, bob, carol, front_desk, course):
    # bob manages the front desk and also belongs to it: the managers of his own team are himself
    bob.team = front_desk
    bob.save(update_fields=["team"])
    assign([carol], course=course, actor=bob)

    deliver(at(18, 7))  # seven days overdue (the escalation is still within its grace period)

    assert set(Message.objects.filter(category=reminders.ESCALATION).values_list("recipient__email", flat=True)) == {
        "bob@acme.test"
    }


def test_a_large_plan_is_spread_over_runs(monkeypatch, bob, carol, erin, front_desk, course):
    monkeypatch.setattr(reminders_service, "PLAN_LIMIT", 3)
    assign([carol, erin], course=course, actor=bob, due_on=date(2026, 12, 10), now=at(8, 9))

    # two new-assignment notices and two due-soon reminders, three at a time
    assert [reminders_plan(now=at(8, 9)) for _ in range(3)] == [3, 1, 0]


def test_an_assignment_overdue_for_long_when_reminders_start_mails_nobody(bob, carol, dave, front_desk, course):
    assign([carol], course=course, actor=bob, due_on=date(2026, 9, 1), now=datetime(2026, 8, 1, tzinfo=UTC))

    assert reminders_plan(now=at(8, 7)) == 0  # a Tuesday (no digests)


# --- Weekly digest ----------------------------------------------------------------------------------


def test_each_manager_gets_a_monday_digest_of_their_teams_in_their_window(
    acme, alice, bob, carol, erin, front_desk, course
):
    hank = factories.member(
        acme, Role.MANAGER, user__email="hank@acme.test", user__name="Hank Manager",
        user__time_zone="America/New_York",
    )
    front_desk.managers.add(hank)
    assign([carol], course=course, actor=bob, due_on=date(2026, 12, 3), now=at(1, 9))  # overdue by Monday 7
    assign([erin], course=course, actor=bob, due_on=date(2026, 12, 10), now=at(1, 9))  # due that week

    assert digests(at(6, 12)) == {}
    assert digests(at(7, 7)) == {"bob@acme.test": ["Your teams this week: 1 overdue, 1 due, 0 completed"]}
    # 08:00 in New York
    assert digests(at(7, 13)) == {"hank@acme.test": ["Your teams this week: 1 overdue, 1 due, 0 completed"]}
    digest = message(f"{reminders.DIGEST}:{bob.pk}:")
    assert "Front desk (2 people)" in digest.body_text
    assert "Overdue: 1 (Carol Employee)" in digest.body_text
    assert digest.url == "/team/"
    assert digests(at(8, 7)) == {}  # Tuesday: no new digest
    assert Message.objects.filter(category=reminders.DIGEST).count() == 2


# --- Tenancy ----------------------------------------------------------------------------------------


def test_another_organizations_settings_never_apply(acme, globex, bob, carol, front_desk, course):
    globex.reminder_lead_days = 10
    globex.sending_window_start, globex.sending_window_end = time(0), time(23, 59)
    globex.sending_weekdays = "1234567"
    globex.save()
    gina_boss = factories.member(globex, Role.ADMIN)
    gina = factories.member(globex, user__email="gina@globex.test", user__name="Gina Other")
    globex_course = factories.published_course(globex, lessons=1, questions=0, title="Globex onboarding")
    assign([gina], course=globex_course, actor=gina_boss, due_on=date(2026, 12, 17), now=at(1, 9))
    assign([carol], course=course, actor=bob, due_on=date(2026, 12, 17), now=at(1, 9))

    # Saturday 12, five days ahead: Globex reminds (ten days ahead, weekends too); Acme does not yet
    assert inbox(at(12, 12)) == {"gina@globex.test": ["Due Thursday 17 December: Globex onboarding"]}
    assert inbox(at(14, 7)) == {"carol@acme.test": ["Due Thursday 17 December: Greeting guests"]}
    gina_message = message(f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get(membership=gina).pk}:")
    carol_message = message(
        f"{reminders.REMINDER}:{reminders.DUE_SOON}:{Enrollment.objects.get(membership=carol).pk}:"
    )
    assert (gina_message.tenant_id, gina_message.window_weekdays) == (globex.pk, "1234567")
    assert (carol_message.tenant_id, carol_message.window_weekdays, carol_message.daily_cap) == (acme.pk, "12345", 3)


# --- Query count ------------------------------------------------------------------------------------


def _world(acme, bob, front_desk, people: int) -> None:
    """`people` front-desk employees, each with one course in every stage on Monday 14 December."""
    members = [factories.member(acme, team=front_desk) for _ in range(people)]
    for day in (16, 14, 12, 10, 6):  # due soon, due today, overdue, escalated, skip level
        course = factories.published_course(acme, lessons=1, questions=0, title=f"Due on the {day}th")
        assign(members, course=course, actor=bob, due_on=date(2026, 12, day), now=at(1, 9))


@pytest.mark.parametrize("people", [3, 12])
def test_the_planner_costs_the_same_queries_at_any_size(acme, bob, dave, front_desk, people):
    _world(acme, bob, front_desk, people)
    now = at(14, 9)  # a Monday: the digests are due too

    with CaptureQueriesContext(connection) as planning:
        planned = reminders_plan(now=now)
    with CaptureQueriesContext(connection) as again:
        assert reminders_plan(now=now) == 0

    # per person: due soon, due today, 2 overdue, 2 escalations to bob, 1 skip level to dave; 2 digests
    assert planned == people * 7 + 2
    # bounds, candidates, two for the managers, the digest's managers, the keys in the ledger; then
    # the digests' teams, figures and overdue names, and the ledger's own key check and insert
    assert (len(planning), len(again)) == (11, 6)
