"""A manager's observation: the checklist of the program's standards for one person, quick on a phone.

Each standard with its observable behaviors, a 1–4 rating (coach_forms.OBSERVATION_RATINGS) and
notes; posting records it once through `observation_record`, which also updates the person's memory
of each standard rated. Once recorded the page shows what was recorded (a second post changes
nothing). A manager of the person's team or an admin; anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from followups import coach_selectors, services
from followups.coach_forms import ObservationForm
from followups.models import FollowUpStatus, StepKind
from organizations.models import Role
from organizations.tenancy import member_required


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD", "POST"])
def observation(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = coach_selectors.coached_followup(membership=request.membership, followup_id=followup_id)
    if followup is None:
        raise Http404("No such follow-up.")
    if followup.kind != StepKind.OBSERVATION:
        return redirect("followups:coach", followup_id=followup.pk)
    if followup.status == FollowUpStatus.DONE:
        if request.method == "POST":
            messages.info(request, "This observation was already recorded; it is shown below.")
            return redirect("followups:observation", followup_id=followup.pk)
        return render(request, "followups/observation.html", {"followup": followup, "form": None})
    standards = coach_selectors.checklist_standards(followup)
    form = ObservationForm(standards=standards)
    status = 200
    if request.method == "POST":
        form = ObservationForm(request.POST, standards=standards)
        if form.is_valid():
            try:
                services.observation_record(
                    followup=followup, actor=request.membership, ratings=form.ratings(),
                    notes_by_standard=form.notes_by_standard(), notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                followup.refresh_from_db(fields=["status"])
                if followup.status == FollowUpStatus.DONE:  # recorded meanwhile (a double submit): show it
                    return redirect("followups:observation", followup_id=followup.pk)
                form.add_error(None, error)
            else:
                name = followup.membership.user.display_name
                messages.success(request, f"Observation saved. {name} can now read your feedback.")
                return redirect("followups:observation", followup_id=followup.pk)
        status = 400
    context = {"followup": followup, "form": form}
    return render(request, "followups/observation.html", context, status=status)
