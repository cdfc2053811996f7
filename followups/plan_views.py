"""Admins: a program's follow-up plan (its steps) and the organization's refresher settings.

Until an admin saves a program's plan, the page shows the default plan (`DEFAULT_PLAN`) without
writing it. Rows are added with a button that re-renders the form with one more (no script needed)
and removed with a tick box. The services (`plan_steps_save`, `followup_settings_save`) check the
actor is an admin of the organization.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from courses.models import Program
from followups import services
from followups.models import DEFAULT_PLAN, PlanStep
from followups.plan_forms import FollowUpSettingsForm, StepFormSet
from organizations.models import Role
from organizations.tenancy import member_required


@member_required(Role.ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def followup_settings(request: HttpRequest) -> HttpResponse:
    current = services.followup_settings_for(request.membership.organization_id)
    initial = {
        "target_percent": round(current.target_recall * 100),
        "min_gap_days": current.min_gap_days,
        "max_gap_days": current.max_gap_days,
    }
    form = FollowUpSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.followup_settings_save(
                    actor=request.membership, target_recall=form.cleaned_data["target_percent"] / 100,
                    min_gap_days=form.cleaned_data["min_gap_days"], max_gap_days=form.cleaned_data["max_gap_days"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Refresher settings saved. They apply to the next refreshers planned.")
                return redirect("followups:settings")
        status = 400
    programs = list(
        Program.objects.of_organization(request.membership.organization_id)
        .annotate(steps=Count("followup_steps"))
        .order_by("title", "pk")
    )
    context = {"form": form, "programs": programs, "default_steps": len(DEFAULT_PLAN)}
    return render(request, "followups/followup_settings.html", context, status=status)


@member_required(Role.ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def plan_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = Program.objects.of_organization(request.membership.organization_id).filter(pk=program_id).first()
    if program is None:
        raise Http404("No such program.")
    steps = list(PlanStep.objects.of_organization(request.membership.organization_id).filter(program=program))
    is_default = not steps
    initial = (
        [{"offset_days": days, "kind": kind, "message": ""} for days, kind in DEFAULT_PLAN]
        if is_default
        else [{"offset_days": s.offset_days, "kind": s.kind, "message": s.message} for s in steps]
    )
    problems: list[str] = []
    status = 200
    if request.method == "POST" and "add" in request.POST:
        data = request.POST.copy()
        total = data.get("form-TOTAL_FORMS", "0")
        data["form-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
        formset = StepFormSet(data)
    elif request.method == "POST":
        formset = StepFormSet(request.POST)  # no initial: a blank added row is compared with nothing
        if formset.is_valid():
            chosen = [
                services.StepInput(
                    offset_days=form.cleaned_data["offset_days"], kind=form.cleaned_data["kind"],
                    message=form.cleaned_data.get("message", ""),
                )
                for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")  # a blank added row is no step
            ]
            try:
                services.plan_steps_save(actor=request.membership, program=program, steps=chosen)
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(request, f"The follow-up plan of “{program.title}” is saved.")
                return redirect("followups:plan", program_id=program.pk)
        status = 400
    else:
        formset = StepFormSet(initial=initial)
    context = {"program": program, "formset": formset, "is_default": is_default, "problems": problems}
    return render(request, "followups/plan.html", context, status=status)
