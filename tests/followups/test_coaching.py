"""Practice at work and manager observations through their pages, against PostgreSQL.

carol works on bob's front desk; dave manages the kitchen (not carol's team); alice is the admin;
charlie is Globex's admin. Only carol, bob and alice may see carol's follow-ups; the others get 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups import memory, services
from followups.coach_forms import OBSERVATION_RATINGS
from followups.models import FollowUp, FollowUpStatus, MemoryState, Review, StepKind
from followups.selectors import followup_of
from organizations.models import Role
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for
from tests.followups.program_fixtures import (  # noqa: F401  (fixtures)
    complete_program,
    front_desk,
    greet,
    resolve,
    service_program,
)


def consume() -> None:
    while services.followups_consume_completions():
        pass


@pytest.fixture
def dave(acme):
    """Manages the kitchen, not carol's team."""
    kitchen = factories.TeamFactory(organization=acme, name="Kitchen")
    dave = factories.member(acme, Role.MANAGER, user__email="dave@acme.test", user__name="Dave Kitchen")
    kitchen.managers.add(dave)
    return dave


@pytest.fixture
def erin(acme, front_desk):
    """carol's colleague on the front desk."""
    return factories.member(acme, team=front_desk, user__email="erin@acme.test", user__name="Erin Desk")


@pytest.fixture
def carols_followups(alice, carol, front_desk, service_program) -> dict[str, FollowUp]:
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    return {f.kind: f for f in FollowUp.objects.filter(enrollment=enrollment)}


# --- Practice at work ---------------------------------------------------------------------------------


def test_carol_reflects_bob_replies_and_carol_reads_the_reply(bob, carol, carols_followups):
    practice = carols_followups[StepKind.PRACTICE]
    url = reverse("followups:practice", args=[practice.pk])
    page = client_for(carol).get(url)
    assert page.status_code == 200 and practice.prompt in page.content.decode()

    # a double submit saves one reflection
    for _ in range(2):
        response = client_for(carol).post(url, {"reflection": "  I greeted three guests by name.  "})
        assert response.status_code == 302 and response["Location"] == url
    practice.refresh_from_db()
    assert (practice.reflection, practice.status) == ("I greeted three guests by name.", FollowUpStatus.DONE)

    waiting = client_for(bob).get(reverse("followups:team"))
    assert [f.pk for f in waiting.context["work"].reflections] == [practice.pk]
    coach = reverse("followups:coach", args=[practice.pk])
    assert "I greeted three guests by name." in client_for(bob).get(coach).content.decode()
    assert client_for(bob).post(coach, {"reply": "Lovely. Try it with regulars too."})["Location"] == "/team/followups/"

    practice.refresh_from_db()
    assert (practice.reply, practice.replied_by) == ("Lovely. Try it with regulars too.", bob)
    assert client_for(bob).get(reverse("followups:team")).context["work"].reflections == []
    mine = client_for(carol).get(url).content.decode()
    assert "Lovely. Try it with regulars too." in mine and "Bob Manager replied" in mine


def test_an_empty_reflection_or_reply_is_a_form_error(bob, carol, carols_followups):
    practice = carols_followups[StepKind.PRACTICE]

    own = reverse("followups:practice", args=[practice.pk])
    assert client_for(carol).post(own, {"reflection": " "}).status_code == 400
    coach = reverse("followups:coach", args=[practice.pk])
    no_reflection_yet = client_for(bob).post(coach, {"reply": "Well done"})
    assert no_reflection_yet.status_code == 400 and "no reflection" in no_reflection_yet.content.decode()
    practice.refresh_from_db()
    assert (practice.reflection, practice.reply) == ("", "")


def test_only_carol_her_teams_managers_and_admins_see_her_practice(
    alice, bob, carol, charlie, dave, erin, carols_followups
):
    practice = carols_followups[StepKind.PRACTICE]
    services.practice_reflect(followup=practice, actor=carol, reflection="It went well.")
    own = reverse("followups:practice", args=[practice.pk])
    coach = reverse("followups:coach", args=[practice.pk])

    assert client_for(carol).get(own).status_code == 200
    assert client_for(bob).get(coach).status_code == 200
    assert client_for(alice).get(coach).status_code == 200
    for outsider in (dave, erin, charlie):  # another team's manager, a colleague, another organization
        client = client_for(outsider)
        assert client.get(own).status_code == 404
        assert client.post(own, {"reflection": "Forged"}).status_code == 404
        assert client.get(coach).status_code == 404
        assert client.post(coach, {"reply": "Forged"}).status_code == 404
    for person in (carol, erin):  # employees have no coach pages, not even for themselves
        assert client_for(person).get(coach).status_code == 404
    assert client_for(bob).get(own).status_code == 404  # the task page is carol's own
    practice.refresh_from_db()
    assert (practice.reflection, practice.reply) == ("It went well.", "")
    assert client_for(dave).get(reverse("followups:team")).context["work"].reflections == []


def test_a_manager_who_leaves_the_team_can_no_longer_reply(bob, carol, front_desk, carols_followups):
    practice = carols_followups[StepKind.PRACTICE]
    services.practice_reflect(followup=practice, actor=carol, reflection="It went well.")
    front_desk.managers.remove(bob)

    assert client_for(bob).post(reverse("followups:coach", args=[practice.pk]), {"reply": "Hi"}).status_code == 404


# --- Observations -------------------------------------------------------------------------------------


def test_the_checklist_lists_the_programs_standards_with_their_behaviors(bob, greet, resolve, carols_followups):
    greet.behaviors = ["Looks up within 10 seconds", "Smiles and says hello"]
    greet.save(update_fields=["behaviors"])
    observation = carols_followups[StepKind.OBSERVATION]

    page = client_for(bob).get(reverse("followups:observation", args=[observation.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert [s.pk for s in page.context["form"].standards] == [greet.pk, resolve.pk]
    assert "Looks up within 10 seconds" in body and "Smiles and says hello" in body
    for value, label in OBSERVATION_RATINGS:
        assert f'name="rating-{greet.pk}" value="{value}"' in body and f"{value} {label}" in body


def test_an_observation_updates_memory_and_the_employee_sees_the_feedback(
    bob, carol, greet, resolve, carols_followups
):
    observation = carols_followups[StepKind.OBSERVATION]
    url = reverse("followups:observation", args=[observation.pk])
    now = timezone.now()
    before = {s.standard_id: s for s in MemoryState.objects.filter(membership=carol)}

    response = client_for(bob).post(url, {
        f"rating-{greet.pk}": "4", f"notes-{greet.pk}": "Greeted every guest at once.",
        f"rating-{resolve.pk}": "1", f"notes-{resolve.pk}": "Sent a guest to another desk.",
        "notes": "Keep the problem until it is solved.",
    })

    assert response.status_code == 302 and response["Location"] == url
    after = {s.standard_id: s for s in MemoryState.objects.filter(membership=carol)}
    assert after[greet.pk].stability > before[greet.pk].stability
    assert after[resolve.pk].stability < before[resolve.pk].stability
    in_a_month = now + timedelta(days=30)

    def recall(state):
        return memory.recall(memory.Memory(state.stability, state.difficulty, state.last_review), in_a_month)

    assert recall(after[greet.pk]) > recall(before[greet.pk])
    assert recall(after[resolve.pk]) < recall(before[resolve.pk])
    reviews = Review.objects.filter(followup=observation).order_by("standard__order")
    assert [(r.rating, r.source, r.notes) for r in reviews] == [
        (4, "observation", "Greeted every guest at once."), (1, "observation", "Sent a guest to another desk."),
    ]

    # a second post (a double tap) records nothing more and shows what was recorded
    again = client_for(bob).post(url, {f"rating-{greet.pk}": "2"})
    assert again.status_code == 302 and Review.objects.filter(followup=observation).count() == 2
    recorded = client_for(bob).get(url).content.decode()
    assert "4 Always" in recorded and "1 Not yet" in recorded and "Sent a guest to another desk." in recorded

    # what carol's follow-up page includes: the feedback partial, rendered from her own selector
    mine = followup_of(membership=carol, followup_id=observation.pk)
    feedback = render_to_string("followups/_observation_feedback.html", {"followup": mine})
    assert "Feedback from Bob Manager" in feedback and "Keep the problem until it is solved." in feedback
    assert "4 Always" in feedback and "Greeted every guest at once." in feedback


def test_an_observation_needs_a_rating_and_refuses_standards_outside_the_checklist(
    acme, bob, greet, carols_followups
):
    observation = carols_followups[StepKind.OBSERVATION]
    url = reverse("followups:observation", args=[observation.pk])
    other = factories.ServiceStandardFactory(organization=acme, code="X9")

    nothing = client_for(bob).post(url, {f"notes-{greet.pk}": "Busy shift"})
    forged = client_for(bob).post(url, {f"rating-{greet.pk}": "3", f"rating-{other.pk}": "4"})
    out_of_range = client_for(bob).post(url, {f"rating-{greet.pk}": "5"})

    assert nothing.status_code == 400 and "Rate at least one standard" in nothing.content.decode()
    assert forged.status_code == 400 and "checklist changed" in forged.content.decode()
    assert out_of_range.status_code == 400
    observation.refresh_from_db()
    assert observation.status == FollowUpStatus.PENDING and not Review.objects.filter(followup=observation).exists()


def test_a_manager_of_another_team_gets_404_for_the_checklist(alice, carol, charlie, dave, erin, greet,
                                                              carols_followups):
    observation = carols_followups[StepKind.OBSERVATION]
    url = reverse("followups:observation", args=[observation.pk])

    for outsider in (dave, erin, carol, charlie):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).post(url, {f"rating-{greet.pk}": "3"}).status_code == 404
    assert client_for(alice).get(url).status_code == 200  # admins observe anyone
    assert not Review.objects.filter(followup=observation).exists()


def test_the_team_list_shows_observations_due_within_a_week(bob, dave, carols_followups):
    observation = carols_followups[StepKind.OBSERVATION]
    FollowUp.objects.filter(pk=observation.pk).update(due_at=timezone.now() + timedelta(days=3))

    mine = client_for(bob).get(reverse("followups:team"))
    assert [f.pk for f in mine.context["work"].observations] == [observation.pk]
    assert reverse("followups:observation", args=[observation.pk]) in mine.content.decode()
    FollowUp.objects.filter(pk=observation.pk).update(due_at=timezone.now() + timedelta(days=9))
    assert client_for(bob).get(reverse("followups:team")).context["work"].observations == []
    assert client_for(dave).get(reverse("followups:team")).context["work"].observations == []


def test_other_kinds_redirect_to_their_own_page(bob, carol, carols_followups):
    refresher, practice = carols_followups[StepKind.REFRESHER], carols_followups[StepKind.PRACTICE]
    observation = carols_followups[StepKind.OBSERVATION]

    assert client_for(carol).get(reverse("followups:practice", args=[refresher.pk]))["Location"] == (
        reverse("followups:detail", args=[refresher.pk])
    )
    assert client_for(bob).get(reverse("followups:observation", args=[practice.pk]))["Location"] == (
        reverse("followups:coach", args=[practice.pk])
    )
    assert client_for(bob).get(reverse("followups:coach", args=[observation.pk]))["Location"] == (
        reverse("followups:observation", args=[observation.pk])
    )
    assert client_for(bob).get(reverse("followups:coach", args=[refresher.pk])).status_code == 200


# --- Query counts -------------------------------------------------------------------------------------


def _program_with_standards(acme, count: int):
    standards = [
        factories.ServiceStandardFactory(organization=acme, code=f"Q{n}", behaviors=[f"Behavior {n}a", f"{n}b"])
        for n in range(count)
    ]
    program = factories.ProgramFactory(organization=acme, title=f"Program of {count}")
    for order, standard in enumerate(standards):
        course = factories.published_course(acme, lessons=1, questions=1, standards=[standard])
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


CHECKLIST_QUERIES = REQUEST_PATH_QUERIES + 5  # follow-up, its reviews, the program's standards (2), standards


@pytest.mark.parametrize("standards", [1, 6])
def test_the_checklist_costs_the_same_at_any_size(standards, acme, alice, bob, carol, front_desk,
                                                  django_assert_num_queries):
    program = _program_with_standards(acme, standards)
    enrollment = complete_program(carol, program, actor=alice)
    consume()
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)
    client = client_for(bob)
    client.get(reverse("followups:team"))  # warm: the session and the unread count come from the cache

    with django_assert_num_queries(CHECKLIST_QUERIES):
        page = client.get(reverse("followups:observation", args=[observation.pk]))
    assert len(page.context["form"].standards) == standards


@pytest.mark.parametrize("people", [1, 8])
def test_the_team_list_costs_the_same_at_any_size(people, acme, alice, bob, front_desk, service_program,
                                                  django_assert_num_queries):
    for n in range(people):
        person = factories.member(acme, team=front_desk, user__email=f"p{n}@acme.test")
        enrollment = complete_program(person, service_program, actor=alice)
        consume()
        practice = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.PRACTICE)
        services.practice_reflect(followup=practice, actor=person, reflection=f"Reflection {n}")
        FollowUp.objects.filter(enrollment=enrollment, kind=StepKind.OBSERVATION).update(due_at=timezone.now())
    client = client_for(bob)
    client.get(reverse("followups:team"))  # warm: the session and the unread count come from the cache

    with django_assert_num_queries(REQUEST_PATH_QUERIES + 2):
        page = client.get(reverse("followups:team"))
    assert len(page.context["work"].reflections) == len(page.context["work"].observations) == people


LEARNER_BUDGET = 6  # a learner page on a warm request (issue 13)


def test_the_practice_page_is_a_learner_page_at_any_size(carol, carols_followups):
    practice = carols_followups[StepKind.PRACTICE]
    services.practice_reflect(followup=practice, actor=carol, reflection="It went well.")
    client = client_for(carol)
    url = reverse("followups:practice", args=[practice.pk])
    Review.objects.create(membership=carol, standard=practice.standard, followup=practice, source="check", rating=3)

    def queries() -> int:
        client.get(url)  # warm: the session and the unread count come from the cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries()
    FollowUp.objects.bulk_create(
        FollowUp(enrollment=practice.enrollment, membership=carol, key=f"extra:{n}", kind=StepKind.PRACTICE,
                 due_at=practice.due_at, prompt="Again.")
        for n in range(30)
    )
    Review.objects.bulk_create(
        Review(membership=carol, standard=practice.standard, followup=practice, source="check", rating=3)
        for _ in range(30)
    )
    assert queries() == small <= LEARNER_BUDGET


# --- The person hears of the answer ------------------------------------------------------------------


def test_carol_is_told_of_bobs_reply_once_and_of_his_observation(bob, carol, greet, carols_followups):
    from django.core import mail

    from notifications.models import Message
    from tests.mailbox import deliver

    practice, observation = carols_followups[StepKind.PRACTICE], carols_followups[StepKind.OBSERVATION]
    services.practice_reflect(followup=practice, actor=carol, reflection="Greeted the regulars by name.")
    for reply in ("Good. Try it with new guests too.", "Good. Try it with new guests too, and smile."):
        services.practice_reply(followup=practice, actor=bob, reply=reply)  # an edit announces nothing more
    services.observation_record(
        followup=observation, actor=bob, ratings={greet.pk: 3}, notes_by_standard={}, notes="Well done."
    )

    notices = Message.objects.filter(recipient=carol.user, category="coaching").order_by("id")
    assert [(n.object_id, n.url) for n in notices] == [
        (practice.pk, reverse("followups:detail", args=[practice.pk])),
        (observation.pk, reverse("followups:detail", args=[observation.pk])),
    ]
    assert [n.subject for n in notices] == [
        "Bob Manager replied to how your practice went", "Bob Manager observed you: your feedback on Service basics",
    ]
    assert "Good. Try it with new guests too." in notices[0].body_text

    for day in range(1, 6):  # five days at 10:00 UTC: at least three in the Monday-Friday window
        deliver((timezone.now() + timedelta(days=day)).replace(hour=10))
    emailed = [m for m in mail.outbox if m.to == [carol.user.email] and "Bob Manager" in m.subject]
    assert len(emailed) == 2


def test_a_reply_to_someone_who_left_is_not_emailed(bob, carol, carols_followups):
    from notifications.models import Message
    from tests.mailbox import deliver

    practice = carols_followups[StepKind.PRACTICE]
    services.practice_reflect(followup=practice, actor=carol, reflection="Tried it twice.")
    services.practice_reply(followup=practice, actor=bob, reply="Keep going.")
    carol.is_active = False
    carol.save(update_fields=["is_active"])

    for day in range(1, 6):
        deliver((timezone.now() + timedelta(days=day)).replace(hour=10))

    notice = Message.objects.get(recipient=carol.user, category="coaching")
    assert (notice.status, notice.skip_reason) == ("skipped", "The person is no longer a member.")
