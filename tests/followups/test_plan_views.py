"""The follow-up plan editor and the refresher settings (followups.plan_views): admins only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from followups.models import DEFAULT_PLAN, FollowUpSettings, PlanStep
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def program(acme):
    return factories.ProgramFactory(organization=acme, title="Service basics")


def _posted(rows: list[tuple], *, initial: int | None = None, **extra) -> dict:
    data = {
        "form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        days, kind, message, *delete = row
        data.update(
            {f"form-{index}-offset_days": str(days), f"form-{index}-kind": kind, f"form-{index}-message": message}
        )
        if delete:
            data[f"form-{index}-DELETE"] = "on"
    return {**data, **extra}


def test_the_default_plan_is_shown_without_being_written(alice, program):
    page = client_for(alice).get(reverse("followups:plan", args=[program.pk]))

    assert page.status_code == 200 and "follows the default plan" in page.content.decode()
    assert [(f.initial["offset_days"], f.initial["kind"]) for f in page.context["formset"]] == list(DEFAULT_PLAN)
    assert not PlanStep.objects.exists()


def test_an_admin_edits_removes_and_adds_steps(alice, program):
    url = reverse("followups:plan", args=[program.pk])
    rows = [(2, "refresher", ""), (7, "practice", ""), (14, "observation", "", "delete"), (30, "refresher", "")]

    added = client_for(alice).post(url, _posted(rows, add="1"))
    assert added.status_code == 200 and len(added.context["formset"].forms) == 5 and not PlanStep.objects.exists()

    saved = client_for(alice).post(url, _posted([*rows, (21, "message", "How is it going?")], initial=4))
    assert saved.status_code == 302
    assert list(PlanStep.objects.filter(program=program).values_list("offset_days", "kind", "message")) == [
        (2, "refresher", ""), (7, "practice", ""), (21, "message", "How is it going?"), (30, "refresher", ""),
    ]
    again = client_for(alice).get(url)
    assert "follows the default plan" not in again.content.decode() and len(again.context["formset"].forms) == 4


def test_a_blank_added_row_is_no_step_and_a_message_needs_its_text(alice, program):
    url = reverse("followups:plan", args=[program.pk])

    blank = client_for(alice).post(url, _posted([(2, "refresher", ""), ("", "", "")], initial=1))
    assert blank.status_code == 302 and PlanStep.objects.filter(program=program).count() == 1
    no_text = client_for(alice).post(url, _posted([(2, "refresher", ""), (5, "message", "")]))
    assert no_text.status_code == 400 and "needs a text" in no_text.content.decode()
    twice = client_for(alice).post(url, _posted([(2, "refresher", ""), (2, "refresher", "")]))
    assert twice.status_code == 400 and "two refresher steps" in twice.content.decode()
    assert PlanStep.objects.filter(program=program).count() == 1


def test_only_admins_of_the_organization_edit_plans_and_settings(bob, carol, charlie, program):
    for person in (bob, carol, charlie):
        client = client_for(person)
        plan = reverse("followups:plan", args=[program.pk])
        assert client.get(plan).status_code == 404
        assert client.post(plan, _posted([(3, "refresher", "")])).status_code == 404
        assert client.get(reverse("followups:settings")).status_code == (200 if person == charlie else 404)
    assert not PlanStep.objects.exists()


def test_the_refresher_settings(alice, acme, program):
    url = reverse("followups:settings")
    page = client_for(alice).get(url)
    assert page.status_code == 200 and page.context["form"].initial["target_percent"] == 90
    assert reverse("followups:plan", args=[program.pk]) in page.content.decode()

    wrong = client_for(alice).post(url, {"target_percent": "85", "min_gap_days": "30", "max_gap_days": "20"})
    assert wrong.status_code == 400 and "longer than the minimum" in wrong.content.decode()
    saving = client_for(alice).post(url, {"target_percent": "85", "min_gap_days": "4", "max_gap_days": "45"})
    assert saving.status_code == 302

    saved = FollowUpSettings.objects.get(organization=acme)
    assert (saved.target_recall, saved.min_gap_days, saved.max_gap_days) == (0.85, 4, 45)
